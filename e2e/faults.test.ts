// Nothing accepted is lost (each 201 ends in the read model once, settled; a refusal stores nothing),
// checked on the running system: every service as `npm start` runs it, writes streaming through the
// ingress while each service in turn is killed and brought back by the launcher; with every backend's
// state in its embedded database, and again in a PostgreSQL database of its own.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request, SERVICE_NAMES, type ServiceName, type System } from '@posts/runtime';
import { databasesFor, homes, readBus, restart, sleep, startTestSystem, Writers, type ReadModel } from './support';

/** A subscriber behind the bus that can be told to fail: records the seqs it acknowledged. */
async function subscriberDouble() {
  const double = { failing: true, acknowledged: [] as number[], url: '', close: async () => {} };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (double.failing) {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":"internal","message":"failing on purpose"}}');
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (const event of Array.isArray(body) ? body : [body]) double.acknowledged.push(event.seq);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  double.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
  double.close = () => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  };
  return double;
}

describe.each(homes)('nothing is lost: faults on the running system, state %s', (_home, { postgres }) => {
  let sys: System;
  let databases: Awaited<ReturnType<typeof databasesFor>> | undefined;
  let double: Awaited<ReturnType<typeof subscriberDouble>>;
  let base: URL;
  const agent = new http.Agent({ keepAlive: true });
  const get = async (p: string) => {
    const res = await request(agent, base, 'GET', p);
    return { status: res.status, body: res.status === 200 ? JSON.parse(res.body) : res.body };
  };

  beforeAll(async () => {
    double = await subscriberDouble();
    databases = postgres ? await databasesFor('faults') : undefined;
    sys = await startTestSystem('faults', {
      env: databases?.env,
      extraSubscribers: [double.url],
      backoff: { initialMs: 200, maxMs: 2000, resetAfterMs: 5000 },
    });
    base = new URL(`http://127.0.0.1:${sys.ports.ingress}`);
  });

  afterAll(async () => {
    agent.destroy();
    await sys?.stop();
    await double?.close();
    await databases?.drop();
  });

  /** Waits until the read model holds every accepted write once, settled, and checks it. */
  async function expectSettled(writers: Writers[]) {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const problems: string[] = [];
      const { status, body: model } = (await get('/posts')) as { status: number; body: ReadModel };
      if (status === 200) {
        const count = new Map<string, number>();
        for (const post of Object.values(model)) for (const c of post.comments) count.set(c.id, (count.get(c.id) ?? 0) + 1);
        for (const w of writers) {
          for (const [id, title] of w.posts) if (model[id]?.title !== title) problems.push(`post ${id} missing`);
          for (const [id, c] of w.comments) {
            const n = count.get(id) ?? 0;
            if (n !== 1) problems.push(`comment ${id} appears ${n} times`);
            const found = model[c.postId]?.comments.find((x) => x.id === id);
            if (found && found.status !== c.status) problems.push(`comment ${id} is ${found.status}, not ${c.status}`);
          }
        }
        if (problems.length === 0) {
          // Refused writes left nothing behind.
          const texts = new Set(Object.values(model).flatMap((p) => [p.title, ...p.comments.map((c) => c.content)]));
          for (const w of writers) for (const r of w.refused) expect(texts.has(r.text)).toBe(false);
          // No comment stays pending.
          expect(Object.values(model).flatMap((p) => p.comments.filter((c) => c.status === 'pending'))).toEqual([]);
          // The comments service agrees with the read model.
          for (const post of Object.values(model)) {
            const own = await get(`/posts/${post.id}/comments`);
            expect(own.status).toBe(200);
            expect(own.body.map((c: { id: string; status: string }) => [c.id, c.status])).toEqual(post.comments.map((c) => [c.id, c.status]));
          }
          return model;
        }
      }
      if (Date.now() > deadline) throw new Error(`not settled after 60 s:\n${problems.slice(0, 10).join('\n')}`);
      await sleep(200);
    }
  }

  const all: Writers[] = [];

  /** Writes, signals `victim` (the launcher restarts it), writes on, then checks nothing was lost. */
  async function underWrites(victim: ServiceName, signal: NodeJS.Signals) {
    const writers = new Writers(base, `${signal}-${victim}`);
    all.push(writers);
    writers.start();
    while (writers.accepted < 20) await sleep(20);
    await restart(sys, victim, signal);
    const before = writers.accepted;
    while (writers.accepted < before + 20) await sleep(20);
    await writers.stop();

    expect(writers.unexplained).toEqual([]);
    await expectSettled(all);
  }

  it.each(SERVICE_NAMES)(
    'loses nothing when %s is killed with SIGKILL under writes',
    async (victim) => {
      await underWrites(victim, 'SIGKILL');
      if (victim === 'client') expect((await request(agent, base, 'GET', '/')).status).toBe(200);
    },
    120_000,
  );

  it('a subscriber that fails for a while delays only itself, then catches up in order', async () => {
    const subscriptions = () => readBus<Array<{ url: string; backlog: number; lastError: string | null }>>(sys, '/subscriptions');
    expect(double.failing).toBe(true); // it has answered 500 since the start

    const writers = new Writers(base, 'double');
    all.push(writers);
    writers.start(2);
    while (writers.comments.size < 20) await sleep(20);
    await writers.stop();
    await expectSettled(all); // the four services settled while the double still fails

    const stuck = (await subscriptions()).find((s) => s.url === double.url)!;
    expect(stuck.backlog).toBeGreaterThan(0);
    expect(stuck.lastError).toBe('HTTP 500');

    double.failing = false;
    const deadline = Date.now() + 60_000;
    while ((await subscriptions()).find((s) => s.url === double.url)!.backlog > 0) {
      if (Date.now() > deadline) throw new Error('the double never caught up');
      await sleep(100);
    }
    const head = (await readBus<unknown[]>(sys, '/events')).length;
    expect(double.acknowledged).toEqual(Array.from({ length: head }, (_, i) => i + 1));
  }, 120_000);

  it.each(['comments', 'event-bus'] as ServiceName[])(
    'loses no accepted write when %s gets SIGTERM under writes',
    (victim) => underWrites(victim, 'SIGTERM'),
    120_000,
  );

  afterAll(() => {
    // What the run saw, for docs/reliability.md.
    const sum = (f: (w: Writers) => number) => all.reduce((n, w) => n + f(w), 0);
    const byCode = new Map<string, number>();
    for (const w of all) for (const u of [...w.unclear, ...w.refused]) byCode.set(`${u.status} ${u.code}`, (byCode.get(`${u.status} ${u.code}`) ?? 0) + 1);
    process.stdout.write(
      `faults: ${sum((w) => w.posts.size)} posts and ${sum((w) => w.comments.size)} comments accepted and settled; ` +
        `${sum((w) => w.refused.length)} refused for sure (none stored), ${sum((w) => w.unclear.length)} unclear answers retried; ` +
        `errors seen: ${JSON.stringify(Object.fromEntries(byCode))}\n`,
    );
  });
});
