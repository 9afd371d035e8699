// The promise of DESIGN.md, "How nothing gets lost", checked on the running system: all six
// services as `npm start` runs them, writes streaming through the ingress while each service
// in turn is killed and brought back by the launcher.
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SERVICES, startSystem, type ServiceName, type System } from '../scripts/src/launcher';
import { request } from '../scripts/src/load';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Answer {
  status: number;
  body: { error?: { code?: string; message?: string }; id?: string; [k: string]: unknown };
}
type ReadModel = Record<string, { id: string; title: string; comments: Array<{ id: string; content: string; status: string }> }>;

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

/**
 * Writes posts and comments through the ingress from a few concurrent clients, as people
 * would, each write with its own Idempotency-Key. A write whose outcome is unclear (the
 * service died mid-request) is retried with the same key until it is answered; a write
 * refused for sure is remembered, to check it left nothing behind.
 */
class Writers {
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  readonly posts = new Map<string, string>(); // id → title
  readonly comments = new Map<string, { postId: string; content: string; status: 'approved' | 'rejected' }>();
  readonly refused: Array<{ kind: 'post' | 'comment'; text: string; status: number; code: string }> = [];
  readonly unclear: Array<{ status: number; code: string }> = [];
  readonly unexplained: Array<{ status: number; body: unknown }> = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private n = 0;

  constructor(
    private readonly base: URL,
    readonly run: string,
  ) {}

  start(clients = 4) {
    this.running = true;
    this.loops = Array.from({ length: clients }, () => this.loop());
  }

  async stop() {
    this.running = false;
    await Promise.all(this.loops);
  }

  get accepted() {
    return this.posts.size + this.comments.size;
  }

  private async loop() {
    while (this.running) {
      const i = this.n++;
      const postIds = [...this.posts.keys()];
      if (postIds.length < 3 || i % 10 === 0) await this.write('post', '/posts/create', { title: `${this.run} post ${i}` });
      else {
        const postId = postIds[i % postIds.length];
        const content = i % 4 === 0 ? `${this.run} comment ${i}: Orange!` : `${this.run} comment ${i}: nice`;
        await this.write('comment', `/posts/${postId}/comments`, { content }, postId);
      }
      await sleep(5);
    }
  }

  private async write(kind: 'post' | 'comment', urlPath: string, body: { title?: string; content?: string }, postId?: string) {
    const key = `${this.run}-${this.n}-${Math.random().toString(36).slice(2)}`;
    const text = body.title ?? body.content!;
    const deadline = Date.now() + 60_000;
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const res = await this.send(urlPath, body, key);
      if (res.status === 201) {
        if (kind === 'post') this.posts.set(res.body.id!, text);
        else this.comments.set(res.body.id!, { postId: postId!, content: text, status: /orange/i.test(text) ? 'rejected' : 'approved' });
        return;
      }
      const code = res.body?.error?.code;
      if (typeof code !== 'string' || typeof res.body.error?.message !== 'string') {
        this.unexplained.push(res);
        return;
      }
      if (this.refusedForSure(res.status, code, res.body.error.message) && attempt === 0) {
        this.refused.push({ kind, text, status: res.status, code });
        return;
      }
      // Unclear (or refused on a retry, after an unclear first try): retry with the same key.
      this.unclear.push({ status: res.status, code });
      await sleep(100 + attempt * 50);
    }
    throw new Error(`a ${kind} write was never answered with 201 in 60 s`);
  }

  /** Refusals that say nothing was stored: the request never reached a service or the bus. */
  private refusedForSure(status: number, code: string, message: string) {
    if (status === 503 && code === 'unavailable') return true; // ingress: not running; service: bus unreachable
    if (status === 503 && code === 'no_ready_endpoint') return true; // ingress: running but not ready, never reached
    if (status === 502 && /ECONNREFUSED/.test(message)) return true; // ingress: nobody listening
    return false;
  }

  private async send(urlPath: string, body: unknown, key: string): Promise<Answer> {
    const payload = JSON.stringify(body);
    return new Promise((resolve) => {
      const req = http.request(
        {
          agent: this.agent,
          host: this.base.hostname,
          port: this.base.port,
          method: 'POST',
          path: urlPath,
          headers: { host: 'posts.com', 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), 'idempotency-key': key },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: Answer['body'];
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = { raw: text };
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on('error', () => resolve({ status: 0, body: { error: { code: 'connection_lost', message: 'ECONNRESET' } } }));
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
      // The ingress itself stays up; a reset here is a lost connection, an unclear outcome.
      req.on('error', (err) => resolve({ status: 0, body: { error: { code: 'connection_lost', message: err.message } } }));
      req.end(payload);
    });
  }
}

describe('nothing is lost: faults on the running system', () => {
  let sys: System;
  let double: Awaited<ReturnType<typeof subscriberDouble>>;
  let base: URL;
  const agent = new http.Agent({ keepAlive: true });
  const get = async (p: string) => {
    const res = await request(agent, base, 'GET', p);
    return { status: res.status, body: res.status === 200 ? JSON.parse(res.body) : res.body };
  };

  beforeAll(async () => {
    double = await subscriberDouble();
    sys = await startSystem({
      quiet: true,
      dataDir: mkdtempSync(path.join(os.tmpdir(), 'posts-faults-')),
      env: Object.fromEntries(SERVICES.map((s) => [s, { LOG_LEVEL: 'warn' }])),
      extraSubscribers: [double.url],
      backoff: { initialMs: 200, maxMs: 2000, resetAfterMs: 5000 },
    });
    base = new URL(`http://127.0.0.1:${sys.ports.ingress}`);
  });

  afterAll(async () => {
    agent.destroy();
    await sys?.stop();
    await double?.close();
  });

  /** Waits until the read model holds every accepted write once, settled, and checks it. */
  async function expectSettled(writers: Writers[]) {
    const deadline = Date.now() + 60_000;
    let problems: string[] = [];
    for (;;) {
      problems = [];
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
    const restarts = sys.restarts(victim);
    sys.kill(victim, signal);
    while (sys.restarts(victim) === restarts) await sleep(20);
    await sys.waitReady(60_000);
    const before = writers.accepted;
    while (writers.accepted < before + 20) await sleep(20);
    await writers.stop();

    expect(writers.unexplained).toEqual([]);
    await expectSettled(all);
  }

  it.each(['posts', 'comments', 'moderation', 'query', 'event-bus', 'client'] as ServiceName[])(
    'loses nothing when %s is killed with SIGKILL under writes',
    async (victim) => {
      await underWrites(victim, 'SIGKILL');
      if (victim === 'client') expect((await request(agent, base, 'GET', '/')).status).toBe(200);
    },
    120_000,
  );

  it('a subscriber that fails for a while delays only itself, then catches up in order', async () => {
    const subscriptions = async () => {
      const res = await fetch(`http://127.0.0.1:${sys.ports['event-bus']}/subscriptions`);
      return (await res.json()) as Array<{ url: string; backlog: number; lastError: string | null }>;
    };
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
    const head = ((await (await fetch(`http://127.0.0.1:${sys.ports['event-bus']}/events`)).json()) as unknown[]).length;
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
