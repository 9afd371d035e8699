// Each backend's state in its own database in the data folder, as `npm start` runs it: a restart resumes at
// the checkpoint instead of replaying the log, `npm run rebuild` replays it on purpose, and a database that
// is gone, or was built from another log, is rebuilt from the log there is, never mixed with it.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DATABASE_FILE, ROOT, startSystem, type System } from '@posts/runtime';
import { everyService, logsBySource, until, type ReadModel } from './support';

const BACKENDS = ['posts', 'comments', 'query', 'moderation'] as const;

describe('state in a database per backend, as npm start runs it', () => {
  jest.setTimeout(120_000);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'posts-state-'));
  let sys: System | undefined;
  let logs = logsBySource();

  async function start(): Promise<System> {
    logs = logsBySource();
    sys = await startSystem({ quiet: false, dataDir, log: logs.log, env: everyService({ LOG_LEVEL: 'info' }) });
    return sys;
  }
  async function stop(): Promise<void> {
    await sys?.stop();
    sys = undefined;
  }
  afterAll(async () => {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const ingress = (p: string) => `http://127.0.0.1:${sys!.ports.ingress}${p}`;
  const post = (p: string, body: unknown) => fetch(ingress(p), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  /** The course's read model, as bytes: every post and comment, once each has been moderated. */
  const settledModel = (comments: number) =>
    until('every comment moderated in the read model', async () => {
      const text = await (await fetch(ingress('/posts'))).text();
      const all = Object.values(JSON.parse(text) as ReadModel).flatMap((p) => p.comments);
      return all.length === comments && all.every((c) => c.status !== 'pending') ? text : undefined;
    });

  it('resumes every backend at its checkpoint when npm start is stopped and started again: the same read model, the log not read from the start', async () => {
    await start();
    const { id } = (await (await post('/posts/create', { title: 'Kept' })).json()) as { id: string };
    for (const content of ['one', 'two orange']) expect((await post(`/posts/${id}/comments`, { content })).status).toBe(201);
    const before = await settledModel(2);
    await stop();
    for (const backend of BACKENDS) expect(existsSync(path.join(dataDir, backend, DATABASE_FILE))).toBe(true);

    await start();
    for (const backend of BACKENDS) expect(logs.of(backend).some((line) => /resumed at seq [1-9]/.test(line))).toBe(true);
    expect(await settledModel(2)).toBe(before);
  });

  it('rebuilds a projection on purpose with npm run rebuild, and serves the same read model after', async () => {
    const before = await settledModel(2);
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts/ops/dist/rebuild.js'), 'query'], {
      env: { ...process.env, DATA_DIR: dataDir },
    });
    expect(stdout).toMatch(/query: rebuilt, seq \d+ of \d+/);
    expect(logs.of('query').some((line) => line.includes('rebuilding the state from the log'))).toBe(true);
    expect(await settledModel(2)).toBe(before);
  });

  it('rebuilds a database deleted while the log remains, to the same read model, byte for byte', async () => {
    const before = await settledModel(2);
    await sys!.stopService('query');
    rmSync(path.join(dataDir, 'query'), { recursive: true, force: true });
    sys!.startService('query');
    await sys!.waitReady(60_000);
    expect(await settledModel(2)).toBe(before);
  });

  it('rebuilds the databases built from another log rather than mix the two', async () => {
    await stop();
    rmSync(path.join(dataDir, 'events.ndjson')); // a new log: its first event has another id
    await start();
    for (const backend of ['posts', 'comments', 'query'] as const) {
      expect(logs.of(backend).some((line) => line.includes('the state was built from another log: rebuilding it'))).toBe(true);
    }
    expect(await (await fetch(ingress('/posts'))).json()).toEqual({});
    const { id } = (await (await post('/posts/create', { title: 'New log' })).json()) as { id: string };
    expect((await post(`/posts/${id}/comments`, { content: 'first of the new log' })).status).toBe(201);
    expect(Object.keys(JSON.parse(await settledModel(1)))).toEqual([id]);
  });
});
