// PostgreSQL restarted under writes, every backend's state in a database of its own on it: writes that
// meet it away are answered 503 at once (none hangs), nothing accepted is lost or stored twice, and the
// services go on once it is back without being restarted themselves.
import http from 'node:http';
import { request, type System } from '@posts/runtime';
import { BACKENDS, databasesFor, ownPostgres, sleep, startTestSystem, unsettled, Writers, type ReadModel } from './support';

describe('PostgreSQL restarted under writes', () => {
  let server: Awaited<ReturnType<typeof ownPostgres>>;
  let sys: System;
  let base: URL;
  const agent = new http.Agent({ keepAlive: true });

  beforeAll(async () => {
    server = await ownPostgres();
    const { env } = await databasesFor('restart', server.url);
    sys = await startTestSystem('pg-restart', { env, backoff: { initialMs: 200, maxMs: 2000, resetAfterMs: 5000 } });
    base = new URL(`http://127.0.0.1:${sys.ports.ingress}`);
  });
  afterAll(async () => {
    agent.destroy();
    await sys?.stop();
    server?.stop();
  });

  it('answers 503 quickly while it is away, loses nothing, and recovers without a restart of any service', async () => {
    const restartsBefore = BACKENDS.map((b) => sys.restarts(b));
    const writers = new Writers(base, 'pg-restart');
    writers.start();
    while (writers.accepted < 30) await sleep(20);
    server.restart();
    const after = writers.accepted;
    while (writers.accepted < after + 30) await sleep(20);
    await writers.stop();

    expect(writers.unexplained).toEqual([]);
    // Every answer came in time: a database that is away is said at once, never waited on.
    expect(writers.slowestMs).toBeLessThan(10_000);
    const deadline = Date.now() + 60_000;
    let problems: string[] = ['not read yet'];
    while (problems.length > 0 && Date.now() < deadline) {
      const res = await request(agent, base, 'GET', '/posts');
      problems = res.status === 200 ? unsettled(JSON.parse(res.body) as ReadModel, [writers]) : [`GET /posts answered ${res.status}`];
      if (problems.length > 0) await sleep(200);
    }
    expect(problems).toEqual([]);
    expect(BACKENDS.map((b) => sys.restarts(b))).toEqual(restartsBefore);
    process.stdout.write(
      `PostgreSQL restart: ${writers.accepted} writes accepted, ${writers.unclear.length} answers retried (${[...new Set(writers.unclear.map((u) => `${u.status} ${u.code}`))].join(', ')}), slowest answer ${writers.slowestMs} ms\n`,
    );
  }, 180_000);
});
