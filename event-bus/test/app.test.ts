import { mkdtempSync, rmSync, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import pino from 'pino';
import { createApp } from '../src/app';
import { EventLog, MAX_EVENT_BYTES } from '../src/log';

function bus(log = EventLog.inMemory()) {
  return { log, app: createApp({ log, deliveries: [], logger: pino({ level: 'silent' }) }) };
}

const tmpDirs: string[] = [];
function tmpFile() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bus-app-'));
  tmpDirs.push(dir);
  return path.join(dir, 'events.ndjson');
}
afterAll(() => tmpDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** Data that makes an event's stored line exactly `bytes` long. */
function dataOfLineBytes(bytes: number, id: string) {
  const bare = JSON.stringify({ id, seq: 1, type: 'T', data: { text: '' }, at: new Date().toISOString() });
  return { text: 'x'.repeat(bytes - Buffer.byteLength(bare)) };
}

describe('event bus HTTP API', () => {
  it('stores a publish and answers 201 {id, seq}; the same id again is 200 with the first seq', async () => {
    const { app } = bus();
    const first = await request(app)
      .post('/events')
      .send({ id: 'x1', type: 'PostCreated', data: { id: 'p', title: 't' } });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ id: 'x1', seq: 1 });
    const again = await request(app)
      .post('/events')
      .send({ id: 'x1', type: 'PostCreated', data: { id: 'p', title: 't' } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ id: 'x1', seq: 1 });
  });

  it("takes the course's wire format {type, data} and makes the id", async () => {
    const { app } = bus();
    const res = await request(app)
      .post('/events')
      .send({ type: 'PostCreated', data: { id: 'p', title: 't' } });
    expect(res.status).toBe(201);
    expect(res.body.id).toEqual(expect.any(String));
  });

  it('stores a batch in one request', async () => {
    const { app } = bus();
    const res = await request(app)
      .post('/events')
      .send([
        { id: 'a', type: 'T', data: {} },
        { id: 'b', type: 'T', data: {} },
      ]);
    expect(res.status).toBe(201);
    expect(res.body).toEqual([
      { id: 'a', seq: 1, duplicate: false },
      { id: 'b', seq: 2, duplicate: false },
    ]);
  });

  it('answers the whole log, and pages of it', async () => {
    const { app } = bus();
    for (let i = 0; i < 5; i++) await request(app).post('/events').send({ type: 'T', data: { i } });
    const all = await request(app).get('/events');
    expect(all.body.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(all.body[0]).toEqual({ id: expect.any(String), seq: 1, type: 'T', data: { i: 0 }, at: expect.any(String) });
    const page = await request(app).get('/events?after=2&limit=2');
    expect(page.body.map((e: { seq: number }) => e.seq)).toEqual([3, 4]);
  });

  it.each([
    ['no type', { data: {} }],
    ['empty type', { type: '', data: {} }],
    ['data not an object', { type: 'T', data: 'x' }],
    ['a number for type', { type: 5, data: {} }],
    ['extra fields', { type: 'T', data: {}, seq: 9 }],
    ['an empty batch', []],
  ])('refuses a publish with %s, storing nothing', async (_name, body) => {
    const { app, log } = bus();
    const res = await request(app)
      .post('/events')
      .send(body as object);
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: 'invalid_request', message: expect.any(String) });
    expect(log.head).toBe(0);
  });

  it('answers malformed JSON with 400, a body over the limit with 413, an unknown route with 404', async () => {
    const { app } = bus();
    const malformed = await request(app).post('/events').set('content-type', 'application/json').send('{"type":');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('malformed_json');
    const huge = await request(app)
      .post('/events')
      .send({ type: 'T', data: { text: 'x'.repeat(2 * 1024 * 1024) } });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');
    const unknown = await request(app).get('/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
  });

  it('takes an event whose stored line is 64 KiB, and refuses one a byte over with 413 event_too_large', async () => {
    const { app, log } = bus();
    const atLimit = await request(app)
      .post('/events')
      .send({ id: 'e1', type: 'T', data: dataOfLineBytes(MAX_EVENT_BYTES, 'e1') });
    expect(atLimit.status).toBe(201);
    expect(Buffer.byteLength(log.linesAfter(0)[0])).toBe(MAX_EVENT_BYTES);
    const over = await request(app)
      .post('/events')
      .send({ id: 'e2', type: 'T', data: dataOfLineBytes(MAX_EVENT_BYTES + 1, 'e2') });
    expect(over.status).toBe(413);
    expect(over.body.error).toEqual({ code: 'event_too_large', message: expect.stringMatching(/^event 0 /) });
    expect(log.head).toBe(1);
  });

  it('counts bytes, not characters: refuses 22,000 euro signs (66,000 bytes)', async () => {
    const { app, log } = bus();
    const res = await request(app)
      .post('/events')
      .send({ type: 'T', data: { text: '€'.repeat(22_000) } });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('event_too_large');
    expect(log.head).toBe(0);
  });

  it('refuses a batch with one event over 64 KiB whole, naming that event, and stores none of it', async () => {
    const { app, log } = bus();
    const small = (i: number) => ({ id: `s${i}`, type: 'T', data: { i } });
    const res = await request(app)
      .post('/events')
      .send([small(0), small(1), { id: 'big', type: 'T', data: { text: 'x'.repeat(70_000) } }, small(3)]);
    expect(res.status).toBe(413);
    expect(res.body.error).toEqual({ code: 'event_too_large', message: expect.stringMatching(/^event 2 /) });
    expect(log.head).toBe(0);
    // Nothing of it was kept: its ids are new, and the next event takes seq 1.
    expect(
      (
        await request(app)
          .post('/events')
          .send([small(0)])
      ).body,
    ).toEqual([{ id: 's0', seq: 1, duplicate: false }]);
  });

  it('answers 503 log_unavailable while the log cannot be written, keeps serving reads, and takes publishes again after', async () => {
    const { app, log } = bus(await EventLog.open(tmpFile()));
    await request(app).post('/events').send({ id: 'a', type: 'T', data: {} });
    const handle = await fs.open(tmpFile(), 'a+');
    const write = jest.spyOn(Object.getPrototypeOf(handle) as FileHandle, 'write');
    await handle.close();
    try {
      write.mockRejectedValue(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
      const refused = await request(app).post('/events').send({ id: 'b', type: 'T', data: {} });
      expect(refused.status).toBe(503);
      expect(refused.body).toEqual({ error: { code: 'log_unavailable', message: expect.stringContaining('ENOSPC') } });
      const read = await request(app).get('/events');
      expect([read.status, read.body.map((e: { id: string }) => e.id)]).toEqual([200, ['a']]);
    } finally {
      write.mockRestore();
    }
    const taken = await request(app).post('/events').send({ id: 'b', type: 'T', data: {} });
    expect([taken.status, taken.body]).toEqual([201, { id: 'b', seq: 2 }]);
    await log.close();
  });

  describe('GET /events without after or limit: the whole log, however long', () => {
    const EVENTS = 10_000; // of about 1 KB: 10 MB, over the 8 MB a page holds
    const text = 'y'.repeat(1000);

    it.each([
      ['in a file', () => EventLog.open(tmpFile())],
      ['in memory', async () => EventLog.inMemory()],
    ])('answers every event %s, in order, as one array, with the headers', async (_where, make) => {
      const { app, log } = bus(await make());
      for (let i = 0; i < EVENTS; i += 1000) {
        await log.append(Array.from({ length: 1000 }, (_, j) => ({ id: `e${i + j + 1}`, type: 'T', data: { text } })));
      }
      const res = await request(app).get('/events');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(Number(res.headers['x-log-head'])).toBe(EVENTS);
      expect(res.headers['x-log-id']).toBe('e1');
      expect(res.text.length).toBeGreaterThan(10_000_000);
      const seqs = (res.body as Array<{ seq: number }>).map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1));

      // Pages are as they were: capped at 8 MB, or at `limit`.
      const capped = await request(app).get('/events?after=0');
      expect(capped.text.length).toBeLessThanOrEqual(8 * 1024 * 1024);
      expect(capped.body.map((e: { seq: number }) => e.seq)).toEqual(seqs.slice(0, capped.body.length));
      expect(capped.body.length).toBeLessThan(EVENTS);
      expect(Number(capped.headers['x-log-head'])).toBe(EVENTS);
      expect(capped.headers['x-log-id']).toBe('e1');
      expect((await request(app).get('/events?limit=3')).body.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3]);
      expect((await request(app).get(`/events?after=${EVENTS - 2}&limit=5`)).body.map((e: { seq: number }) => e.seq)).toEqual([EVENTS - 1, EVENTS]);
      expect((await request(app).get(`/events?after=${EVENTS}`)).body).toEqual([]);
      await log.close();
    });

    it('lets a reader leave halfway, logging nothing, and still answers the next one whole', async () => {
      const logged: unknown[] = [];
      const log = await EventLog.open(tmpFile());
      await log.append(Array.from({ length: 2000 }, (_, i) => ({ type: 'T', data: { i, text } })));
      const logger = pino({ level: 'warn' }, { write: (line: string) => logged.push(JSON.parse(line)) });
      const server = createApp({ log, deliveries: [], logger }).listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
      try {
        await new Promise<void>((resolve) => {
          http.get(url, (res) => res.once('data', () => (res.destroy(), resolve())));
        });
        const whole = (await (await fetch(url)).json()) as unknown[];
        expect(whole).toHaveLength(2000);
        expect(logged).toEqual([]);
      } finally {
        server.close();
        await log.close();
      }
    });

    it('cuts the answer short when the file cannot be read, and logs why', async () => {
      const logged: Array<{ msg: string }> = [];
      const log = await EventLog.open(tmpFile());
      await log.append(Array.from({ length: 200 }, (_, i) => ({ type: 'T', data: { i, text } })));
      const logger = pino({ level: 'warn' }, { write: (line: string) => logged.push(JSON.parse(line)) });
      const handle = await fs.open(tmpFile(), 'a+');
      const read = jest.spyOn(Object.getPrototypeOf(handle) as FileHandle, 'read');
      await handle.close();
      read.mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' }));
      try {
        const res = await request(createApp({ log, deliveries: [], logger }))
          .get('/events')
          .catch((err: Error) => err);
        expect(String(res)).toBe('Error: aborted'); // no answer, rather than one that parses as a shorter log
        expect(logged).toEqual([expect.objectContaining({ level: 50, err: expect.objectContaining({ message: 'EIO: i/o error, read' }) })]);
      } finally {
        read.mockRestore();
        await log.close();
      }
    });

    it('answers an empty log as []', async () => {
      const { app } = bus(await EventLog.open(tmpFile()));
      const res = await request(app).get('/events');
      expect([res.status, res.text, res.headers['x-log-head'], res.headers['x-log-id']]).toEqual([200, '[]', '0', undefined]);
    });
  });

  it('refuses a bad page query', async () => {
    const { app } = bus();
    expect((await request(app).get('/events?after=-1')).status).toBe(400);
    expect((await request(app).get('/events?limit=abc')).status).toBe(400);
  });

  it('is alive and ready', async () => {
    const { app } = bus();
    expect((await request(app).get('/healthz')).status).toBe(200);
    expect((await request(app).get('/readyz')).status).toBe(200);
    expect((await request(app).get('/subscriptions')).body).toEqual([]);
  });
});
