import pino from 'pino';
import request from 'supertest';
import { connectBus, type Bus } from '@posts/bus-client';
import '@posts/bus-http';
import { REFUSED_IN_ANY_TEXT, until } from '@posts/kit/testing';
import { startTestBus, type TestBus } from 'event-bus/testing';
import { openProjection, type Projection } from '@posts/db';
import { homes, type TestDatabase } from '@posts/db/testing';
import { createApp } from '../src/app';
import { handlers, react } from '../src/events';
import { migrations } from '../src/migrations';
import type { Schema } from '../src/schema';

const logger = pino({ level: 'silent' });
const at = new Date().toISOString();

describe.each(homes)('comments, %s', (_home, makeDatabase) => {
  let bus: TestBus;
  let publisher: Bus;
  const databases: TestDatabase[] = [];
  const opened: Projection<Schema>[] = [];
  beforeEach(async () => {
    bus = await startTestBus();
    publisher = connectBus(bus.url, { logger });
    await publisher.publish({ id: 'PostCreated:p1', type: 'PostCreated', data: { id: 'p1', title: 'T' } });
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((p) => p.close()));
    await Promise.all(databases.splice(0).map((d) => d.drop()));
    await bus.close();
  });

  /** A comments process on a database of its own (a replica of its own), or on `database`. */
  async function comments(busUrl: string, database?: TestDatabase) {
    if (!database) databases.push((database = await makeDatabase()));
    const bus = connectBus(busUrl, { logger });
    const projection = openProjection<Schema>(database.settings, { migrations });
    opened.push(projection);
    await projection.migrate();
    const subscriber = bus.subscribe({ handlers, state: projection.state, react: react(bus, projection.db), logger });
    return { subscriber, database, projection, app: createApp({ bus, subscriber, db: projection.db, logger }) };
  }

  it('creates a pending comment after CommentCreated is in the log', async () => {
    const { app, subscriber } = await comments(bus.url);
    await subscriber.start();
    const res = await request(app).post('/posts/p1/comments').set('x-request-id', 'req-7').send({ content: 'Great post!' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), postId: 'p1', content: 'Great post!', status: 'pending' });
    expect(bus.events()[1]).toMatchObject({ id: `CommentCreated:${res.body.id}`, type: 'CommentCreated', data: res.body, requestId: 'req-7' });
    expect((await request(app).get('/posts/p1/comments')).body).toEqual([res.body]);
  });

  it('catches up before refusing a post it has not heard of, so a comment right after its post is taken', async () => {
    const { app } = await comments(bus.url); // not started: it has heard of nothing yet
    const res = await request(app).post('/posts/p1/comments').send({ content: 'first!' });
    expect(res.status).toBe(201);
  });

  it('answers 404 for a post the log does not have, storing nothing', async () => {
    const { app, subscriber } = await comments(bus.url);
    await subscriber.start();
    const res = await request(app).post('/posts/nope/comments').send({ content: 'hi' });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('post_not_found');
    expect((await request(app).get('/posts/nope/comments')).status).toBe(404);
    expect(bus.events()).toHaveLength(1);
  });

  it.each([
    ['missing content', {}],
    ['empty content', { content: '' }],
    ['content that is not text', { content: ['a'] }],
    ['over-long content', { content: 'x'.repeat(1001) }],
    ['an extra field', { content: 'ok', status: 'approved' }],
  ])('refuses %s with 400', async (_name, body) => {
    const { app, subscriber } = await comments(bus.url);
    await subscriber.start();
    const res = await request(app).post('/posts/p1/comments').send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(bus.events()).toHaveLength(1);
  });

  it.each(REFUSED_IN_ANY_TEXT)('refuses content holding %s with 400, naming the character and its position', async (_name, content, problem) => {
    const { app, subscriber } = await comments(bus.url);
    await subscriber.start();
    const res = await request(app).post('/posts/p1/comments').send({ content });
    expect([res.status, res.body.error]).toEqual([400, { code: 'invalid_request', message: `content: ${problem}, which is not allowed` }]);
    expect(bus.events()).toHaveLength(1);
  });

  it('takes tabs and line breaks in a comment, storing a CRLF as LF', async () => {
    const { app, subscriber } = await comments(bus.url);
    await subscriber.start();
    const res = await request(app).post('/posts/p1/comments').send({ content: 'Two lines:\r\n\tindented\nand more' });
    expect([res.status, res.body.content]).toEqual([201, 'Two lines:\n\tindented\nand more']);
  });

  it('turns CommentModerated into one CommentUpdated with a deterministic id', async () => {
    const { app, subscriber } = await comments(bus.url);
    await subscriber.start();
    const created = (await request(app).post('/posts/p1/comments').send({ content: 'orange' })).body;
    const verdict = { ...created, status: 'rejected' };
    await publisher.publish({ id: `CommentModerated:${created.id}`, type: 'CommentModerated', data: verdict });
    const events = bus.events();
    // Delivered twice, as at-least-once delivery may: still one CommentUpdated.
    await request(app).post('/events').send(events);
    await request(app).post('/events').send(events[2]);
    await until('a CommentUpdated', () => bus.events().some((e) => e.type === 'CommentUpdated'));
    await subscriber.catchUp();
    expect(bus.events().filter((e) => e.type === 'CommentUpdated')).toEqual([expect.objectContaining({ id: `CommentUpdated:${created.id}`, data: verdict })]);
    expect((await request(app).get('/posts/p1/comments')).body).toEqual([verdict]);
  });

  it("passes on the verdict's content, so a comment withheld by moderation stays withheld", async () => {
    const { subscriber } = await comments(bus.url);
    await subscriber.start();
    await publisher.publishAll([
      { id: 'CommentCreated:c1', type: 'CommentCreated', data: { id: 'c1', postId: 'p1', content: 'z'.repeat(60_000), status: 'pending' } },
      { id: 'CommentModerated:c1', type: 'CommentModerated', data: { id: 'c1', postId: 'p1', content: '', status: 'rejected' } },
    ]);
    await subscriber.catchUp();
    await until('CommentUpdated:c1', () => bus.events().some((e) => e.id === 'CommentUpdated:c1'));
    expect(bus.events().find((e) => e.id === 'CommentUpdated:c1')?.data).toEqual({ id: 'c1', postId: 'p1', content: '', status: 'rejected' });
    await subscriber.stop();
  });

  it('pays a CommentUpdated it owed before a restart (moderated in the log, no update yet)', async () => {
    await publisher.publishAll([
      { id: 'CommentCreated:c1', type: 'CommentCreated', data: { id: 'c1', postId: 'p1', content: 'ok', status: 'pending' } },
      { id: 'CommentModerated:c1', type: 'CommentModerated', data: { id: 'c1', postId: 'p1', content: 'ok', status: 'approved' } },
    ]);
    const { subscriber } = await comments(bus.url);
    await subscriber.start();
    await until('CommentUpdated:c1', () => bus.events().some((e) => e.id === 'CommentUpdated:c1'));
  });

  it('keeps each comment once under duplicate, out-of-order and gapped deliveries', async () => {
    await publisher.publishAll(
      ['a', 'b', 'c'].map((id) => ({ id: `CommentCreated:${id}`, type: 'CommentCreated', data: { id, postId: 'p1', content: id, status: 'pending' } })),
    );
    const { app } = await comments(bus.url);
    const [, a, b, c] = bus.events().map((e) => ({ ...e, at }));
    expect((await request(app).post('/events').send(c)).body).toEqual({ ack: 4 }); // gap: pulls 1–3 first
    expect((await request(app).post('/events').send([b, a, c])).body).toEqual({ ack: 4 });
    expect((await request(app).get('/posts/p1/comments')).body.map((x: { id: string }) => x.id)).toEqual(['a', 'b', 'c']);
  });

  it("lists a post's comments in log order on every replica, whichever took each write", async () => {
    // Two replicas behind one Service: each learns of the other's comment only from the log, after its own.
    const [one, two] = [await comments(bus.url), await comments(bus.url)];
    await Promise.all([one.subscriber.start(), two.subscriber.start()]);
    const first = await request(one.app).post('/posts/p1/comments').send({ content: 'first' });
    const second = await request(two.app).post('/posts/p1/comments').send({ content: 'second' });
    await Promise.all([one.subscriber.catchUp(), two.subscriber.catchUp()]);
    for (const replica of [one, two]) {
      expect((await request(replica.app).get('/posts/p1/comments')).body.map((c: { id: string }) => c.id)).toEqual([first.body.id, second.body.id]);
    }
  });

  it('refuses a delivery that is not events or is ahead of the log, and ignores unknown types', async () => {
    const { app } = await comments(bus.url);
    expect((await request(app).post('/events').send({ hello: 'world' })).status).toBe(400);
    expect(
      (
        await request(app)
          .post('/events')
          .send({ id: 'x', seq: 50, type: 'PostCreated', data: { id: 'p9' }, at })
      ).status,
    ).toBe(409);
    const unknown = await request(app).post('/events').send({ id: 'x', seq: 1, type: 'PostLiked', data: {}, at });
    expect(unknown.status).toBe(200);
    expect((await request(app).get('/posts/p9/comments')).status).toBe(404);
  });

  it('stores a comment once when a write is retried with the same Idempotency-Key', async () => {
    const { app, subscriber } = await comments(bus.url);
    await subscriber.start();
    const send = () => request(app).post('/posts/p1/comments').set('idempotency-key', 'retry-me').send({ content: 'once' });
    const [first, retry] = [await send(), await send()];
    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(retry.body.id).toBe(first.body.id);
    expect(bus.events().filter((e) => e.type === 'CommentCreated')).toHaveLength(1);
    expect((await request(app).get('/posts/p1/comments')).body).toHaveLength(1);
  });

  it('answers 503, not 500, when it must catch up and the bus is unreachable', async () => {
    const url = bus.url;
    await bus.close();
    const { app } = await comments(url);
    const res = await request(app).post('/posts/p1/comments').send({ content: 'hello' });
    expect([res.status, res.body.error.code]).toEqual([503, 'unavailable']);
    bus = await startTestBus();
  });

  it('resumes at its checkpoint after a restart: its comments and verdicts kept, an owed update still paid, nothing applied twice', async () => {
    const first = await comments(bus.url);
    await first.subscriber.start();
    const created = await request(first.app).post('/posts/p1/comments').send({ content: 'kept' });
    await first.subscriber.catchUp();
    await first.subscriber.stop();
    await first.projection.close();
    // While it was down: moderated, and owed an update.
    await publisher.publish({ id: `CommentModerated:${created.body.id}`, type: 'CommentModerated', data: { ...created.body, status: 'approved' } });

    const again = await comments(bus.url, first.database);
    await again.subscriber.start();
    expect(Object.fromEntries(again.subscriber.appliedByType)).toEqual({ CommentModerated: 1 });
    await until('the owed CommentUpdated', () => bus.events().some((e) => e.id === `CommentUpdated:${created.body.id}`));
    expect((await request(again.app).get('/posts/p1/comments')).body).toEqual([{ ...created.body, status: 'approved' }]);
  });
});
