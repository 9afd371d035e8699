import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { audit, refusedForSure, runLoad } from '../src/load';

type Stored = { id: string; content: string; status: string };

/**
 * A stand-in for posts.com behind its ingress: posts and comments stored at once (an "orange" comment rejected), ids derived from
 * the Idempotency-Key as the services derive them, and `fault(n, key)` deciding what the n-th comment request, sent with `key`, gets.
 */
async function fakeSystem(
  fault: (n: number, key: string) => 'ok' | 'refuse' | 'refuse-but-store' | 'store-then-reset' | 'store-then-502',
  /** GET /posts goes in turn to two query replicas; the second shows no comments for its first `lagging` reads. */
  lagging = 0,
) {
  const posts = new Map<string, Stored[]>();
  let commentRequests = 0;
  let reads = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      const key = String(req.headers['idempotency-key']);
      if (req.method === 'GET' && req.url === '/posts') {
        const behind = reads++ % 2 === 1 && (reads - 1) / 2 < lagging;
        return json(200, Object.fromEntries([...posts].map(([id, comments]) => [id, { id, title: id, comments: behind ? [] : comments }])));
      }
      if (req.method === 'POST' && req.url === '/posts/create') {
        if (!posts.has(`p-${key}`)) posts.set(`p-${key}`, []);
        return json(201, { id: `p-${key}` });
      }
      const m = /^\/posts\/([^/]+)\/comments$/.exec(req.url ?? '');
      if (req.method !== 'POST' || !m || !posts.has(m[1])) return json(404, { error: { code: 'not_found', message: 'no' } });
      const { content } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const comment = { id: `c-${key}`, content, status: /orange/.test(content) ? 'rejected' : 'approved' };
      const store = () => {
        const list = posts.get(m[1])!;
        if (!list.some((c) => c.id === comment.id)) list.push(comment);
      };
      const what = fault(++commentRequests, key);
      if (what === 'refuse') return json(503, { error: { code: 'unavailable', message: 'nothing was stored' } });
      store();
      if (what === 'refuse-but-store') return json(503, { error: { code: 'unavailable', message: 'nothing was stored (a lie)' } });
      if (what === 'store-then-reset') return void res.socket?.destroy();
      if (what === 'store-then-502') return json(502, { error: { code: 'bad_gateway', message: 'comments is unreachable (ECONNRESET)' } });
      json(201, comment);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    reads: () => reads,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('runLoad: refusals, unclear answers retried with their key, and the audit', () => {
  test('a clean run: every comment accepted, nothing refused or retried', async () => {
    const sys = await fakeSystem(() => 'ok');
    const seen: number[] = [];
    try {
      const result = await runLoad({ url: sys.url, posts: 2, comments: 50, clients: 5, onAccepted: (n) => seen.push(n) });
      expect(result).toMatchObject({ accepted: 50, errors: 0, refused: 0, unclearRetried: 0, unresolved: 0, lost: 0, duplicated: 0, stray: 0 });
      expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    } finally {
      await sys.close();
    }
  });

  test('settledReads: settled only once that many reads in a row, one from each replica, show it', async () => {
    const sys = await fakeSystem(() => 'ok', 5);
    try {
      expect(await runLoad({ url: sys.url, posts: 1, comments: 10, clients: 2 })).toMatchObject({ lost: 0 });
      expect(sys.reads()).toBe(1); // the first replica had it all
      const result = await runLoad({ url: sys.url, posts: 1, comments: 10, clients: 2, settledReads: 2 });
      expect(result).toMatchObject({ accepted: 10, lost: 0, stillPending: 0 });
      // From the second read on they alternate: the lagging replica's first five (reads 2, 4 … 10) miss the load, so the run
      // settles on reads 11 and 12, one from each.
      expect(sys.reads()).toBe(12);
    } finally {
      await sys.close();
    }
  });

  test('a refusal is counted and not retried; an unclear answer is retried with the same key and stored once', async () => {
    const tries = new Map<string, number>();
    const sys = await fakeSystem((_, key) => {
      const attempt = (tries.get(key) ?? 0) + 1;
      tries.set(key, attempt);
      const i = Number(key.split('-').pop()); // the comment's number in the load
      if (attempt > 1) return 'ok';
      if (i % 10 === 3) return 'refuse';
      if (i % 10 === 5) return 'store-then-reset';
      if (i % 10 === 7) return 'store-then-502';
      return 'ok';
    });
    try {
      const result = await runLoad({ url: sys.url, posts: 2, comments: 40, clients: 4 });
      expect(result).toMatchObject({
        accepted: 36,
        errors: 4,
        errorsByStatus: { 503: 4 },
        refused: 4,
        refusedByCode: { '503 unavailable': 4 },
        unclearRetried: 8,
        unclearByCode: { '0 no_answer': 4, '502 bad_gateway': 4 },
        unresolved: 0,
        lost: 0,
        duplicated: 0,
        wrongStatus: 0,
        stillPending: 0,
        refusedStored: 0,
        stray: 0,
      });
      // Each retried write was tried twice, under one key.
      expect([...tries.values()].filter((n) => n === 2)).toHaveLength(8);
    } finally {
      await sys.close();
    }
  });

  test('a refusal that stored the write after all shows as refused but stored, and stray', async () => {
    const sys = await fakeSystem((n) => (n === 2 ? 'refuse-but-store' : 'ok'));
    try {
      const result = await runLoad({ url: sys.url, posts: 1, comments: 5, clients: 1 });
      expect(result).toMatchObject({ accepted: 4, refused: 1, lost: 0, refusedStored: 1, stray: 1 });
    } finally {
      await sys.close();
    }
  });

  test('a write still unclear when the retries run out is unresolved, counted in errors', async () => {
    const sys = await fakeSystem((_, key) => (key.endsWith('-comment-0') ? 'store-then-502' : 'ok'));
    try {
      const result = await runLoad({ url: sys.url, posts: 1, comments: 3, clients: 1, retryUnclearMs: 300, settleTimeoutMs: 200 });
      // The first comment never got its 201: unresolved; it is stored, so it is stray too.
      expect(result).toMatchObject({ accepted: 2, errors: 1, errorsByStatus: { 502: 1 }, refused: 0, unclearRetried: 1, unresolved: 1, stray: 1 });
    } finally {
      await sys.close();
    }
  });
});

test('refusedForSure: only answers that say nothing was stored', () => {
  expect(refusedForSure(400, 'invalid_request', '')).toBe(true);
  expect(refusedForSure(404, 'post_not_found', '')).toBe(true);
  expect(refusedForSure(429, 'rate_limited', '')).toBe(true);
  expect(refusedForSure(503, 'unavailable', '')).toBe(true);
  expect(refusedForSure(503, 'no_ready_endpoint', '')).toBe(true);
  expect(refusedForSure(502, 'bad_gateway', 'comments is unreachable (ECONNREFUSED)')).toBe(true);
  expect(refusedForSure(502, 'bad_gateway', 'comments is unreachable (ECONNRESET)')).toBe(false);
  expect(refusedForSure(503, 'outcome_unknown', '')).toBe(false);
  expect(refusedForSure(504, 'gateway_timeout', '')).toBe(false);
  expect(refusedForSure(500, 'internal', '')).toBe(false);
  expect(refusedForSure(0, 'no_answer', 'socket hang up')).toBe(false);
});

test('audit: lost, duplicated, wrong status, pending; with a scope, stray and refused-but-stored', () => {
  const model = {
    p1: {
      id: 'p1',
      comments: [
        { id: 'a', content: 'a', status: 'approved' },
        { id: 'b', content: 'b', status: 'pending' },
        { id: 'b', content: 'b', status: 'pending' },
        { id: 'x', content: 'refused one', status: 'approved' },
      ],
    },
    p2: { id: 'p2', comments: [{ id: 'c', content: 'c', status: 'approved' }] },
  };
  const expected = new Map([
    ['a', { postId: 'p1', status: 'approved' }],
    ['b', { postId: 'p1', status: 'approved' }],
    ['c', { postId: 'p2', status: 'rejected' }],
    ['d', { postId: 'p2', status: 'approved' }],
  ]);
  expect(audit(model, expected, { postIds: [], refused: [] })).toEqual({ lost: 1, duplicated: 1, wrongStatus: 1, stillPending: 2, refusedStored: 0, stray: 0 });
  expect(audit(model, expected, { postIds: ['p1', 'p2'], refused: [{ postId: 'p1', content: 'refused one' }] })).toMatchObject({ refusedStored: 1, stray: 1 });
});
