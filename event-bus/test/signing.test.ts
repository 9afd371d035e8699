// With BUS_SECRET, the bus takes a publish or a read only if it is signed with the secret, and
// signs every delivery (with the log's id and head inside the signature); without it, open mode.
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { LOG_HEAD_HEADER, LOG_ID_HEADER, RequestSigner, SIGNATURE_HEADER, SIGNATURE_WINDOW_MS, SignatureGuard } from '@posts/bus-http';
import { createApp } from '../src/app';
import { EventLog } from '../src/log';
import { until } from '@posts/kit/testing';
import { startTestBus, type TestBus } from '../src/testing';

const SECRET = '0123456789abcdef'.repeat(4);
const signer = new RequestSigner(SECRET);
const sign = (method: string, path: string, body = '', { with: by = signer, at = Date.now() } = {}) => by.sign({ method, path, body: Buffer.from(body) }, at);

/** A bus with a secret, its log, its guard and what it logged. */
function signedBus() {
  const warnings: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line)) });
  const log = EventLog.inMemory();
  const guard = new SignatureGuard(signer, logger);
  return { app: createApp({ log, deliveries: [], logger, guard }), log, guard, warnings };
}

const comment = JSON.stringify({ id: 'CommentUpdated:c1', type: 'CommentUpdated', data: { id: 'c1', postId: 'p1', content: 'forged', status: 'approved' } });
const unauthorized = { error: { code: 'unauthorized', message: expect.any(String) } };

describe('a bus with a secret', () => {
  it('takes a signed publish, batch, page read, whole read and subscriptions read', async () => {
    const { app, log } = signedBus();
    const post = (body: string) =>
      request(app)
        .post('/events')
        .set('content-type', 'application/json')
        .set(SIGNATURE_HEADER, sign('POST', '/events', body))
        .send(body);
    expect((await post(comment)).status).toBe(201);
    expect((await post(`[${comment.replace('c1', 'c2')}]`)).status).toBe(201);
    expect(log.head).toBe(2);
    for (const path of ['/events', '/events?after=1&limit=5', '/subscriptions']) {
      expect([path, (await request(app).get(path).set(SIGNATURE_HEADER, sign('GET', path))).status]).toEqual([path, 200]);
    }
  });

  it.each<[string, (r: request.Test) => request.Test, string?]>([
    ['no signature', (r) => r],
    ['a malformed one', (r) => r.set(SIGNATURE_HEADER, 'nonsense')],
    ['the secret itself', (r) => r.set(SIGNATURE_HEADER, SECRET)],
    ['one made with another secret', (r) => r.set(SIGNATURE_HEADER, sign('POST', '/events', comment, { with: new RequestSigner('z'.repeat(64)) }))],
    ['one made 31 s ago', (r) => r.set(SIGNATURE_HEADER, sign('POST', '/events', comment, { at: Date.now() - SIGNATURE_WINDOW_MS - 1000 }))],
    ['one made 31 s ahead', (r) => r.set(SIGNATURE_HEADER, sign('POST', '/events', comment, { at: Date.now() + SIGNATURE_WINDOW_MS + 1000 }))],
    ['one for another body', (r) => r.set(SIGNATURE_HEADER, sign('POST', '/events', comment.replace('forged', 'real')))],
    ['one for another path', (r) => r.set(SIGNATURE_HEADER, sign('POST', '/events?x=1', comment))],
    ['one for another method', (r) => r.set(SIGNATURE_HEADER, sign('PUT', '/events', comment))],
    ['one for an empty body', (r) => r.set(SIGNATURE_HEADER, sign('POST', '/events'))],
    ['one for a body that is sent as malformed JSON', (r) => r.set(SIGNATURE_HEADER, sign('POST', '/events', comment)), '{"type":'],
    ['no signature on 900 KB', (r) => r, JSON.stringify({ type: 'PostCreated', data: { id: 'p', title: 'x'.repeat(900_000) } })],
  ])('refuses a publish with %s: 401, nothing stored, counted, logged once with its source', async (_what, withSignature, body = comment) => {
    const { app, log, guard, warnings } = signedBus();
    const res = await withSignature(request(app).post('/events').set('content-type', 'application/json')).send(body);
    expect([res.status, res.body]).toEqual([401, unauthorized]);
    expect([log.head, guard.unauthorizedRequests]).toEqual([0, 1]);
    expect(warnings).toEqual([
      expect.objectContaining({
        msg: 'refused a request not signed with the bus secret',
        from: expect.stringMatching(/127\.0\.0\.1/),
        method: 'POST',
        path: '/events',
      }),
    ]);
  });

  it('refuses reads that are not signed, or signed for another query', async () => {
    const { app, log, guard } = signedBus();
    await log.append([{ id: 'a', type: 'T', data: {} }]);
    const reads: Array<[string, string | undefined]> = [
      ['/events', undefined],
      ['/events?after=0&limit=10', undefined],
      ['/subscriptions', undefined],
      ['/events?after=0&limit=10', sign('GET', '/events?after=0&limit=1')],
      ['/events', sign('POST', '/events')],
      ['/subscriptions', sign('GET', '/events')],
    ];
    for (const [path, signature] of reads) {
      const res = await (signature ? request(app).get(path).set(SIGNATURE_HEADER, signature) : request(app).get(path));
      expect([path, res.status, res.body]).toEqual([path, 401, unauthorized]);
      expect(res.headers[LOG_ID_HEADER]).toBeUndefined();
    }
    expect(guard.unauthorizedRequests).toBe(reads.length);
  });

  it('still answers an unknown route 404 and /healthz, /readyz 200 without a signature', async () => {
    const { app, guard } = signedBus();
    expect((await request(app).get('/nope')).status).toBe(404);
    expect((await request(app).get('/healthz')).status).toBe(200);
    expect((await request(app).get('/readyz')).status).toBe(200);
    expect(guard.unauthorizedRequests).toBe(0);
  });
});

describe('a bus without a secret (open mode)', () => {
  it('takes unsigned publishes and reads, as the course’s bus does', async () => {
    const log = EventLog.inMemory();
    const app = createApp({ log, deliveries: [], logger: pino({ level: 'silent' }) });
    expect((await request(app).post('/events').set('content-type', 'application/json').send(comment)).status).toBe(201);
    expect((await request(app).get('/events')).body).toHaveLength(1);
    expect((await request(app).get('/subscriptions')).status).toBe(200);
  });
});

describe('deliveries', () => {
  let bus: TestBus;
  afterEach(() => bus?.close());

  /** The last seq of a delivery's body: one event or an array. */
  const lastSeq = (body: Buffer) => {
    const events = JSON.parse(body.toString()) as { seq: number } | Array<{ seq: number }>;
    return Array.isArray(events) ? events.at(-1)!.seq : events.seq;
  };

  /** A subscriber that keeps every delivery's headers and body as they arrived. */
  async function recorder() {
    const got: Array<{ headers: Record<string, string | undefined>; body: Buffer }> = [];
    const app = express();
    app.post('/events', express.raw({ type: () => true, limit: '16mb' }), (req, res) => {
      got.push({ headers: { id: req.get(LOG_ID_HEADER), head: req.get(LOG_HEAD_HEADER), signature: req.get(SIGNATURE_HEADER) }, body: req.body as Buffer });
      res.json({ ack: lastSeq(req.body as Buffer) });
    });
    const server = await new Promise<import('node:http').Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
    return { got, url, close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))) };
  }

  it('carry the log’s id and head, signed with the body when the bus has a secret', async () => {
    const subscriber = await recorder();
    bus = await startTestBus([subscriber.url], undefined, 0, { secret: SECRET });
    try {
      await bus.log.append(Array.from({ length: 5 }, (_, i) => ({ id: `e${i + 1}`, type: 'T', data: { i } })));
      await until('seq 5 delivered', () => subscriber.got.some((d) => lastSeq(d.body) === 5));
      for (const { headers, body } of subscriber.got) {
        expect(headers.id).toBe('e1');
        expect(Number(headers.head)).toBeGreaterThanOrEqual(lastSeq(body));
        expect(signer.check(headers.signature, { method: 'POST', path: '/events', logId: headers.id, head: headers.head, body })).toBeUndefined();
      }
    } finally {
      await subscriber.close();
    }
  });

  it('carry the head but no signature in open mode', async () => {
    const subscriber = await recorder();
    bus = await startTestBus([subscriber.url]);
    try {
      await bus.log.append([{ id: 'e1', type: 'T', data: {} }]);
      await until('a delivery', () => subscriber.got.length === 1);
      expect(subscriber.got[0].headers).toEqual({ id: 'e1', head: '1', signature: undefined });
    } finally {
      await subscriber.close();
    }
  });
});
