// PostgreSQL for the end-to-end suites: a database per backend on the server TEST_DATABASE_URL names, or a
// server of the suite's own, which it may stop and start (PostgreSQL refuses to run as root: as root it runs
// as the `postgres` user).
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePorts } from '@posts/runtime';
import pg from 'pg';

export const BACKENDS = ['posts', 'comments', 'query', 'moderation'] as const;
export type Backend = (typeof BACKENDS)[number];

const adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl && process.env.CI) throw new Error('TEST_DATABASE_URL is not set: CI runs the system on PostgreSQL too (.ci/run starts it)');

/** The homes a suite runs the system on: embedded always, PostgreSQL where a server is given (in CI, always). */
export const homes: Array<[string, { postgres: boolean }]> = [
  ['embedded', { postgres: false }],
  ...(adminUrl ? [['PostgreSQL', { postgres: true }] as [string, { postgres: boolean }]] : []),
];
if (!adminUrl) console.warn('the system on PostgreSQL skipped: TEST_DATABASE_URL is not set');

async function asAdmin(url: string, statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

/** One new database per backend on `server` (an admin URL), as each service's DATABASE_URL, and how to drop them. */
export async function databasesFor(label: string, server = adminUrl!) {
  const names = Object.fromEntries(BACKENDS.map((b) => [b, `${label}_${b}_${Math.random().toString(36).slice(2, 8)}`])) as Record<Backend, string>;
  await asAdmin(
    server,
    Object.values(names).map((name) => `create database ${name}`),
  );
  const urlOf = (name: string) => Object.assign(new URL(server), { pathname: `/${name}` }).toString();
  const env: Partial<Record<Backend, NodeJS.ProcessEnv>> = {};
  for (const b of BACKENDS) env[b] = { DATABASE_URL: urlOf(names[b]) };
  return {
    env,
    drop: () =>
      asAdmin(
        server,
        Object.values(names).map((name) => `drop database if exists ${name} with (force)`),
      ),
  };
}

/** Debian's PostgreSQL binaries, the newest installed. */
function binDir(): string {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((v) => `/usr/lib/postgresql/${v}/bin`).find((dir) => existsSync(path.join(dir, 'pg_ctl')));
  if (!found) throw new Error('PostgreSQL is not installed (apt-get install postgresql)');
  return found;
}

/** A PostgreSQL server of the suite's own on a free loopback port, with a superuser `posts`, which it may stop and start. */
export async function ownPostgres() {
  const bin = binDir();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'posts-pg-'));
  const data = path.join(dir, 'data');
  const [port] = await freePorts(1);
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    chmodSync(dir, 0o755);
    chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
  }
  const run = (tool: string, args: string[]) => {
    const [command, all] = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args]] : [path.join(bin, tool), args];
    const r = spawnSync(command, all, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${tool} failed: ${r.stderr || r.stdout}`);
  };
  run('initdb', ['-D', data, '-U', 'posts', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off`;
  const pgCtl = (...args: string[]) => run('pg_ctl', ['-D', data, '-l', path.join(dir, 'log'), '-w', ...args]);
  pgCtl('-o', options, 'start');
  const url = `postgres://posts@127.0.0.1:${port}/postgres`;
  return {
    url,
    /** As a server restart does: every connection closed, none taken until it is back. */
    restart: () => pgCtl('-m', 'fast', '-o', options, 'restart'),
    stop: () => {
      pgCtl('-m', 'immediate', 'stop');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
