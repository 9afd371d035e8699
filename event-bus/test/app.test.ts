import request from 'supertest';
import pino from 'pino';
import { createApp } from '../src/app';
import { EventLog } from '../src/log';

function bus() {
  const log = EventLog.inMemory();
  return { log, app: createApp({ log, deliveries: [], logger: pino({ level: 'silent' }) }) };
}

describe('event bus HTTP API', () => {
  it('stores a publish and answers 201 {id, seq}; the same id again is 200 with the first seq', async () => {
    const { app } = bus();
    const first = await request(app).post('/events').send({ id: 'x1', type: 'PostCreated', data: { id: 'p', title: 't' } });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ id: 'x1', seq: 1 });
    const again = await request(app).post('/events').send({ id: 'x1', type: 'PostCreated', data: { id: 'p', title: 't' } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ id: 'x1', seq: 1 });
  });

  it("takes the seed's wire format {type, data} and makes the id", async () => {
    const { app } = bus();
    const res = await request(app).post('/events').send({ type: 'PostCreated', data: { id: 'p', title: 't' } });
    expect(res.status).toBe(201);
    expect(res.body.id).toEqual(expect.any(String));
  });

  it('stores a batch in one request', async () => {
    const { app } = bus();
    const res = await request(app)
      .post('/events')
      .send([{ id: 'a', type: 'T', data: {} }, { id: 'b', type: 'T', data: {} }]);
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
    const res = await request(app).post('/events').send(body as object);
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: 'invalid_request', message: expect.any(String) });
    expect(log.head).toBe(0);
  });

  it('answers malformed JSON with 400, a body over the limit with 413, an unknown route with 404', async () => {
    const { app } = bus();
    const malformed = await request(app).post('/events').set('content-type', 'application/json').send('{"type":');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('malformed_json');
    const huge = await request(app).post('/events').send({ type: 'T', data: { text: 'x'.repeat(2 * 1024 * 1024) } });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');
    const unknown = await request(app).get('/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
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
