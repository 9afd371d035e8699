// Load held: 20,000 comments from 50 concurrent clients through the local ingress, every one
// settled, and memory that grows with the log and the projections, not with the traffic: each
// service runs with a heap cap near what its data needs (the log is ~20 MB, the read model
// ~2 MB), so memory that grew with the traffic would end in a crash, which the launcher counts.
import { readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { request, SERVICE_NAMES, type ServiceName, type System } from '@posts/runtime';
import { runLoad, type LoadResult } from '@posts/runtime/load';
import { startTestSystem } from './support';

const MB = 1024 * 1024;
const heapCapMB: Record<ServiceName, number> = { 'event-bus': 128, comments: 96, query: 96, posts: 48, moderation: 48, client: 48 };
const rss = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

describe('load held', () => {
  let sys: System;
  beforeAll(async () => {
    sys = await startTestSystem('load', {
      env: Object.fromEntries(SERVICE_NAMES.map((s) => [s, { NODE_OPTIONS: `--max-old-space-size=${heapCapMB[s]}` }])),
    });
  });
  afterAll(() => sys?.stop());

  it('settles 20,000 comments from 50 clients with zero errors, memory bounded by log and projections', async () => {
    // The client only serves the page: its memory is not the log's or the projections'.
    const backends = SERVICE_NAMES.filter((s) => s !== 'client');
    const before = Object.fromEntries(backends.map((s) => [s, rss(sys.pid(s)!)]));

    const result: LoadResult = await runLoad({
      url: `http://127.0.0.1:${sys.ports.ingress}`,
      posts: 20,
      comments: 20_000,
      clients: 50,
      settleTimeoutMs: 120_000,
    });
    process.stdout.write(`load: ${JSON.stringify(result)}\n`);
    expect(result).toMatchObject({ accepted: 20_000, errors: 0, lost: 0, duplicated: 0, wrongStatus: 0, stillPending: 0 });
    // Every comment settled, none restarted on the way.
    expect(backends.map((s) => sys.restarts(s))).toEqual(backends.map(() => 0));

    const agent = new http.Agent();
    const readModel = (await request(agent, new URL(`http://127.0.0.1:${sys.ports.ingress}`), 'GET', '/posts')).body;
    agent.destroy();
    const logBytes = statSync(path.join(sys.dataDir, 'events.ndjson')).size;
    const after = Object.fromEntries(backends.map((s) => [s, rss(sys.pid(s)!)]));
    process.stdout.write(
      `memory: log ${(logBytes / MB).toFixed(1)} MB, read model ${(Buffer.byteLength(readModel) / MB).toFixed(1)} MB; RSS ${backends
        .map((s) => `${s} ${(before[s] / MB).toFixed(0)} -> ${(after[s] / MB).toFixed(0)} MB (heap cap ${heapCapMB[s]} MB)`)
        .join(', ')}\n`,
    );
    for (const s of backends) expect(after[s]).toBeLessThan((heapCapMB[s] + 96) * MB); // cap plus code, young generation, buffers
  });
});
