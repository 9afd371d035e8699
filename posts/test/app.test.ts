import pino from 'pino';
import request from 'supertest';
import { connectBus } from '@posts/bus-client';
import '@posts/bus-http';
import { REFUSED_IN_ONE_LINE } from '@posts/kit/testing';
import { startTestBus, type TestBus } from 'event-bus/testing';
import { createApp } from '../src/app';
import { handlers } from '../src/events';
import { createStore } from '../src/store';

const logger = pino({ level: 'silent' });

function posts(busUrl: string) {
  const bus = connectBus(busUrl, { logger });
  const store = createStore();
  const subscriber = bus.subscribe({ handlers: handlers(store), logger });
  return { subscriber, store, app: createApp({ bus, subscriber, store, logger }) };
}

describe('posts', () => {
  let bus: TestBus;
  beforeEach(async () => (bus = await startTestBus()));
  afterEach(() => bus.close());

  it('creates a post: 201 {id, title} once PostCreated is in the log', async () => {
    const { app } = posts(bus.url);
    const res = await request(app).post('/posts/create').set('x-request-id', 'req-1').send({ title: '  Hello  ' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), title: 'Hello' });
    expect(bus.events()).toEqual([
      expect.objectContaining({ id: `PostCreated:${res.body.id}`, seq: 1, type: 'PostCreated', data: res.body, requestId: 'req-1' }),
    ]);
    expect((await request(app).get('/posts')).body).toEqual({ [res.body.id]: res.body });
  });

  it('answers 503 and stores nothing when the bus is unreachable', async () => {
    const url = bus.url;
    await bus.close();
    const { app, store } = posts(url);
    const res = await request(app).post('/posts/create').send({ title: 'Hello' });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('unavailable');
    expect(store.allPosts()).toEqual({});
    bus = await startTestBus();
  });

  it.each([
    ['a missing title', {}],
    ['an empty title', { title: '   ' }],
    ['a title that is not text', { title: 42 }],
    ['an over-long title', { title: 'x'.repeat(201) }],
    ['an extra field', { title: 'ok', author: 'me' }],
    ['a lone surrogate', { title: 'bad \ud800 text' }],
  ])('refuses %s with 400 and stores nothing', async (_name, body) => {
    const { app } = posts(bus.url);
    const res = await request(app).post('/posts/create').send(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: 'invalid_request', message: expect.any(String) });
    expect(bus.events()).toEqual([]);
  });

  it.each(REFUSED_IN_ONE_LINE)(
    'refuses a title holding %s with 400, naming the character and its position, and stores nothing',
    async (_name, title, problem) => {
      const { app } = posts(bus.url);
      const res = await request(app).post('/posts/create').send({ title });
      expect([res.status, res.body.error]).toEqual([400, { code: 'invalid_request', message: `title: ${problem}, which is not allowed` }]);
      expect(bus.events()).toEqual([]);
    },
  );

  it('answers malformed JSON, oversize bodies and unknown routes as JSON errors', async () => {
    const { app } = posts(bus.url);
    const malformed = await request(app).post('/posts/create').set('content-type', 'application/json').send('{"title":');
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'malformed_json']);
    const huge = await request(app)
      .post('/posts/create')
      .send({ title: 'x'.repeat(100_000) });
    expect([huge.status, huge.body.error.code]).toEqual([413, 'payload_too_large']);
    const unknown = await request(app).delete('/posts/create');
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'not_found']);
    expect(bus.events()).toEqual([]);
  });

  it('is ready only after catching up, and rebuilds its posts from the log', async () => {
    await connectBus(bus.url).publish({ id: 'PostCreated:p1', type: 'PostCreated', data: { id: 'p1', title: 'From the log' } });
    const { app, subscriber } = posts(bus.url);
    expect((await request(app).get('/readyz')).status).toBe(503);
    expect((await request(app).get('/healthz')).status).toBe(200);
    await subscriber.start();
    expect((await request(app).get('/readyz')).status).toBe(200);
    expect((await request(app).get('/posts')).body).toEqual({ p1: { id: 'p1', title: 'From the log' } });
  });

  it('applies a duplicate or replayed delivery once', async () => {
    const { app } = posts(bus.url);
    const event = { id: 'PostCreated:p1', seq: 1, type: 'PostCreated', data: { id: 'p1', title: 'T' }, at: new Date().toISOString() };
    await connectBus(bus.url).publish({ id: event.id, type: event.type, data: event.data });
    expect((await request(app).post('/events').send(event)).body).toEqual({ ack: 1 });
    expect((await request(app).post('/events').send([event, event])).body).toEqual({ ack: 1 });
    expect(Object.keys((await request(app).get('/posts')).body)).toEqual(['p1']);
  });

  it('stores a post once when a write is retried with the same Idempotency-Key', async () => {
    const { app } = posts(bus.url);
    const first = await request(app).post('/posts/create').set('idempotency-key', 'k-1').send({ title: 'Once' });
    const retry = await request(app).post('/posts/create').set('idempotency-key', 'k-1').send({ title: 'Once' });
    const other = await request(app).post('/posts/create').set('idempotency-key', 'k-2').send({ title: 'Once' });
    expect([first.status, retry.status, other.status]).toEqual([201, 201, 201]);
    expect(retry.body).toEqual(first.body);
    expect(other.body.id).not.toBe(first.body.id);
    expect(bus.events().map((e) => e.id)).toEqual([`PostCreated:${first.body.id}`, `PostCreated:${other.body.id}`]);
    const bad = await request(app).post('/posts/create').set('idempotency-key', 'has space').send({ title: 'x' });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_request']);
  });
});
