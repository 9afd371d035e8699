// Tests run on both homes: embedded always, PostgreSQL where TEST_DATABASE_URL names a server that may make databases.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { DatabaseSettings } from './config';

const adminUrl = process.env.TEST_DATABASE_URL;
if (!adminUrl) {
  // CI installs and starts PostgreSQL: a run that cannot reach it must not pass on the embedded home alone.
  if (process.env.CI) throw new Error('TEST_DATABASE_URL is not set: CI runs every database test on PostgreSQL too (.ci/run starts it)');
  console.warn('PostgreSQL tests skipped: TEST_DATABASE_URL is not set (e.g. postgres://user:password@127.0.0.1:5432/postgres)');
}

/** A database of its own for one test, and how to remove it. */
export interface TestDatabase {
  settings: DatabaseSettings;
  drop(): Promise<void>;
}

async function asAdmin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A new, empty PostgreSQL database. */
export async function postgresDatabase(): Promise<TestDatabase> {
  const name = `test_${randomUUID().replace(/-/g, '')}`;
  await asAdmin(`create database ${name}`);
  const url = new URL(adminUrl!);
  url.pathname = `/${name}`;
  return { settings: { DATABASE_URL: url.toString() }, drop: () => asAdmin(`drop database if exists ${name} with (force)`) };
}

/** A new embedded database, in a file of its own. */
export async function embeddedDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'posts-db-'));
  return { settings: { DATABASE_PATH: path.join(dir, 'state.db') }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

/** The homes to run a suite on, for `describe.each(homes)`: `[name, make a fresh database]`. */
export const homes: Array<[string, () => Promise<TestDatabase>]> = [
  ['embedded', () => embeddedDatabase()],
  ...(adminUrl ? [['postgres', postgresDatabase] as [string, () => Promise<TestDatabase>]] : []),
];
