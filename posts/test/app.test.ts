import pino from 'pino';
import request from 'supertest';
import { connectBus } from '@posts/bus-client';
import '@posts/bus-http';
import { REFUSED_IN_ONE_LINE, until } from '@posts/kit/testing';
import { startTestBus, type TestBus } from 'event-bus/testing';
import { openProjection, type DatabaseSettings, type Projection } from '@posts/db';
import { homes, type TestDatabase } from '@posts/db/testing';
import { createApp } from '../src/app';
import { handlers } from '../src/events';
import { migrations } from '../src/migrations';
import type { Schema } from '../src/schema';
import { allPosts } from '../src/store';

const logger = pino({ level: 'silent' });

describe.each(homes)('posts, %s', (home, makeDatabase) => {
  let bus: TestBus;
  let database: TestDatabase;
  const opened: Projection<Schema>[] = [];
  beforeEach(async () => {
    bus = await startTestBus();
    database = await makeDatabase();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((p) => p.close()));
    await database.drop();
    await bus.close();
  });

  async function posts(busUrl: string, settings: DatabaseSettings = database.settings) {
    const bus = connectBus(busUrl, { logger });
    const projection = openProjection<Schema>(settings, { migrations });
    opened.push(projection);
    await projection.migrate();
    const subscriber = bus.subscribe({ handlers, state: projection.state, logger });
    return { subscriber, db: projection.db, app: createApp({ bus, subscriber, db: projection.db, logger }) };
  }

  it('creates a post: 201 {id, title} once PostCreated is in the log', async () => {
    const { app } = await posts(bus.url);
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
    const { app, db } = await posts(url);
    const res = await request(app).post('/posts/create').send({ title: 'Hello' });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('unavailable');
    expect(await allPosts(db)).toEqual({});
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
    const { app } = await posts(bus.url);
    const res = await request(app).post('/posts/create').send(body);
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: 'invalid_request', message: expect.any(String) });
    expect(bus.events()).toEqual([]);
  });

  it.each(REFUSED_IN_ONE_LINE)(
    'refuses a title holding %s with 400, naming the character and its position, and stores nothing',
    async (_name, title, problem) => {
      const { app } = await posts(bus.url);
      const res = await request(app).post('/posts/create').send({ title });
      expect([res.status, res.body.error]).toEqual([400, { code: 'invalid_request', message: `title: ${problem}, which is not allowed` }]);
      expect(bus.events()).toEqual([]);
    },
  );

  it('answers malformed JSON, oversize bodies and unknown routes as JSON errors', async () => {
    const { app } = await posts(bus.url);
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
    const { app, subscriber } = await posts(bus.url);
    expect((await request(app).get('/readyz')).status).toBe(503);
    expect((await request(app).get('/healthz')).status).toBe(200);
    await subscriber.start();
    expect((await request(app).get('/readyz')).status).toBe(200);
    expect((await request(app).get('/posts')).body).toEqual({ p1: { id: 'p1', title: 'From the log' } });
  });

  it('applies a duplicate or replayed delivery once', async () => {
    const { app } = await posts(bus.url);
    const event = { id: 'PostCreated:p1', seq: 1, type: 'PostCreated', data: { id: 'p1', title: 'T' }, at: new Date().toISOString() };
    await connectBus(bus.url).publish({ id: event.id, type: event.type, data: event.data });
    expect((await request(app).post('/events').send(event)).body).toEqual({ ack: 1 });
    expect((await request(app).post('/events').send([event, event])).body).toEqual({ ack: 1 });
    expect(Object.keys((await request(app).get('/posts')).body)).toEqual(['p1']);
  });

  it('stores a post once when a write is retried with the same Idempotency-Key', async () => {
    const { app } = await posts(bus.url);
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

  it('resumes at its checkpoint when started again: the same posts, nothing applied twice, nothing read from the start', async () => {
    const publisher = connectBus(bus.url);
    await publisher.publish({ id: 'PostCreated:p1', type: 'PostCreated', data: { id: 'p1', title: 'One' } });
    await publisher.publish({ id: 'PostCreated:p2', type: 'PostCreated', data: { id: 'p2', title: 'Two' } });
    const first = await posts(bus.url);
    await first.subscriber.start();
    await first.subscriber.stop();
    await opened.pop()!.close();
    await publisher.publish({ id: 'PostCreated:p3', type: 'PostCreated', data: { id: 'p3', title: 'Three' } });

    const again = await posts(bus.url);
    await again.subscriber.start();
    expect(again.subscriber.lastSeq).toBe(3);
    expect(Object.fromEntries(again.subscriber.appliedByType)).toEqual({ PostCreated: 1 });
    expect(Object.keys((await request(again.app).get('/posts')).body)).toEqual(['p1', 'p2', 'p3']);
  });

  it('answers GET /state to anyone: its checkpoint, the log head, whether it rebuilds, and its database and its size', async () => {
    const publisher = connectBus(bus.url);
    await publisher.publish({ id: 'PostCreated:p1', type: 'PostCreated', data: { id: 'p1', title: 'One' } });
    const { app, subscriber } = await posts(bus.url);
    await subscriber.start();
    // From another machine, through the ingress: still answered, unlike POST /rebuild.
    const res = await request(app).get('/state').set('x-forwarded-for', '203.0.113.9').expect(200);
    expect(res.body).toEqual({
      checkpoint: 1,
      logHead: 1,
      rebuilding: false,
      database: { kind: home, bytes: expect.any(Number) },
    });
    expect(res.body.database.bytes).toBeGreaterThan(0);
    await publisher.close();
  });

  it('rebuilds on POST /rebuild from this machine: the state emptied and replayed from the log, not ready meanwhile', async () => {
    const publisher = connectBus(bus.url);
    await publisher.publish({ id: 'PostCreated:p1', type: 'PostCreated', data: { id: 'p1', title: 'One' } });
    const { app, subscriber, db } = await posts(bus.url);
    await subscriber.start();
    await db.updateTable('posts').set({ title: 'tampered' }).execute(); // what a rebuild must undo

    const forwarded = await request(app).post('/rebuild').set('x-forwarded-for', '203.0.113.9');
    expect([forwarded.status, forwarded.body.error.code]).toEqual([403, 'forbidden']);
    const asked = await request(app).post('/rebuild');
    expect([asked.status, asked.body.rebuilding]).toEqual([202, true]);
    await until('rebuilt', async () => (await request(app).get('/rebuild')).body.rebuilding === false);
    expect((await request(app).get('/rebuild')).body).toEqual({ rebuilding: false, lastSeq: 1, logHead: 1 });
    expect((await request(app).get('/readyz')).status).toBe(200);
    expect((await request(app).get('/posts')).body).toEqual({ p1: { id: 'p1', title: 'One' } });

    const again = subscriber.rebuild();
    expect([subscriber.ready, subscriber.rebuilding]).toEqual([false, true]);
    await again;
    expect([subscriber.ready, subscriber.rebuilding]).toEqual([true, false]);
  });
});
