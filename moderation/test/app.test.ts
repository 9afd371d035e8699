import pino from 'pino';
import request from 'supertest';
import { connectBus, type NewEvent } from '@posts/bus-client';
import '@posts/bus-http';
import { LONGEST_COMMENT } from '@posts/contracts';
import { until } from '@posts/kit/testing';
import { openProjection, type Projection } from '@posts/db';
import { homes, type TestDatabase } from '@posts/db/testing';
import { startTestBus, type TestBus } from 'event-bus/testing';
import { createApp } from '../src/app';
import { handlers, react } from '../src/events';
import { createModerator } from '../src/moderate';
import { migrations } from '../src/migrations';
import type { Schema } from '../src/schema';
import { owedVerdicts } from '../src/store';

const logger = pino({ level: 'silent' });

const created = (id: string, content: string): NewEvent => ({
  id: `CommentCreated:${id}`,
  type: 'CommentCreated',
  data: { id, postId: 'p1', content, status: 'pending' },
  requestId: `req-${id}`,
});

const verdicts = (bus: TestBus) => bus.events().filter((e) => e.type === 'CommentModerated');

describe.each(homes)('moderation service, %s', (_home, makeDatabase) => {
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

  async function moderation(busUrl: string) {
    const bus = connectBus(busUrl, { logger });
    const projection = openProjection<Schema>(database.settings, { migrations });
    opened.push(projection);
    await projection.migrate();
    const subscriber = bus.subscribe({ handlers, state: projection.state, react: react(bus, projection.db, createModerator(['orange'])), logger });
    const db = projection.db;
    return { subscriber, projection, owed: () => owedVerdicts(db), app: createApp({ subscriber, logger }) };
  }

  it('answers each CommentCreated with one CommentModerated, carrying the request id', async () => {
    const { app, subscriber } = await moderation(bus.url);
    await subscriber.start();
    await connectBus(bus.url).publishAll([created('c1', 'Great post!'), created('c2', 'Orange!')]);
    const events = bus.events();
    await request(app).post('/events').send(events);
    await request(app).post('/events').send(events); // again: delivery is at least once
    await until('two verdicts', () => verdicts(bus).length === 2);
    await subscriber.catchUp();
    await new Promise((r) => setTimeout(r, 50));
    expect(verdicts(bus)).toEqual([
      expect.objectContaining({ id: 'CommentModerated:c1', data: { id: 'c1', postId: 'p1', content: 'Great post!', status: 'approved' }, requestId: 'req-c1' }),
      expect.objectContaining({ id: 'CommentModerated:c2', data: { id: 'c2', postId: 'p1', content: 'Orange!', status: 'rejected' }, requestId: 'req-c2' }),
    ]);
  });

  it('after a crash, pays the verdicts it owed from the log, and only those', async () => {
    await connectBus(bus.url).publishAll([
      created('c1', 'seen before the crash'),
      { id: 'CommentModerated:c1', type: 'CommentModerated', data: { id: 'c1', postId: 'p1', content: 'seen before the crash', status: 'approved' } },
      created('c2', 'arrived while we were down'),
    ]);
    const { subscriber, owed } = await moderation(bus.url);
    await subscriber.start();
    await until('two verdicts', () => verdicts(bus).length === 2);
    expect(verdicts(bus).map((e) => e.id)).toEqual(['CommentModerated:c1', 'CommentModerated:c2']);
    await until('no verdict owed', async () => (await owed()).length === 0);
  });

  it('keeps what it owes while the bus is away, and pays when it is back', async () => {
    const { app, subscriber, owed } = await moderation(bus.url);
    await subscriber.start();
    await connectBus(bus.url).publish(created('c1', 'hello'));
    const [event] = bus.events();
    const { log } = bus;
    const port = Number(new URL(bus.url).port);
    await bus.close();

    expect((await request(app).post('/events').send(event)).body).toEqual({ ack: 1 });
    await new Promise((r) => setTimeout(r, 300)); // its first tries fail: the bus is down
    expect((await owed()).some((c) => c.id === 'c1')).toBe(true);

    bus = await startTestBus([], log, port);
    await until('a verdict', () => verdicts(bus).length === 1);
    await until('no verdict owed', async () => (await owed()).length === 0);
    await subscriber.stop();
  });

  it('gives a final verdict on the largest comment the bus accepts, which the bus also accepts', async () => {
    const { subscriber, owed } = await moderation(bus.url);
    await subscriber.start();
    // The largest CommentCreated the bus takes, found by halving: its verdict must fit too.
    const publisher = connectBus(bus.url, { logger });
    const accepted = (length: number) =>
      publisher.publish({ ...created(`big-${length}`, 'x'.repeat(length)), data: { id: `big-${length}`, postId: 'p1', content: 'x'.repeat(length) } }).then(
        () => true,
        () => false,
      );
    let [fits, tooBig] = [1, 2_000_000];
    while (tooBig - fits > 1) {
      const middle = Math.floor((fits + tooBig) / 2);
      if (await accepted(middle)) fits = middle;
      else tooBig = middle;
    }
    const comments = () => bus.events().filter((e) => e.type === 'CommentCreated');
    await subscriber.catchUp(); // this test bus delivers to no one: moderation pulls
    await until('a verdict for every comment', () => verdicts(bus).length === comments().length, 10_000);
    await until('no verdict owed', async () => (await owed()).length === 0);
    const largest = verdicts(bus).find((e) => e.id === `CommentModerated:big-${fits}`);
    expect(largest?.data).toEqual({ id: `big-${fits}`, postId: 'p1', content: '', status: 'rejected' });
    await subscriber.stop();
  });

  it('rejects a comment longer than the public API takes, without repeating it', async () => {
    const { subscriber } = await moderation(bus.url);
    await subscriber.start();
    await connectBus(bus.url).publishAll([created('long', 'y'.repeat(LONGEST_COMMENT + 1)), created('emoji', '🍊'.repeat(LONGEST_COMMENT))]);
    await subscriber.catchUp();
    await until('two verdicts', () => verdicts(bus).length === 2);
    expect(verdicts(bus).map((e) => e.data)).toEqual([
      { id: 'long', postId: 'p1', content: '', status: 'rejected' },
      { id: 'emoji', postId: 'p1', content: '🍊'.repeat(LONGEST_COMMENT), status: 'approved' }, // characters, not UTF-16 units
    ]);
    await subscriber.stop();
  });

  it('has no public routes and answers bad deliveries as JSON errors', async () => {
    const { app } = await moderation(bus.url);
    expect((await request(app).post('/posts/create').send({ title: 'x' })).status).toBe(404);
    const bad = await request(app).post('/events').send({ type: 'CommentCreated' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_event');
  });

  it('resumes at its checkpoint after a restart: only what arrived while it was down is applied, and judged', async () => {
    await connectBus(bus.url).publishAll([created('c1', 'before')]);
    const first = await moderation(bus.url);
    await first.subscriber.start();
    await until('the first verdict', () => verdicts(bus).length === 1);
    await first.subscriber.catchUp();
    await first.subscriber.stop();
    await opened.pop()!.close();
    await connectBus(bus.url).publishAll([created('c2', 'while it was down')]);

    const again = await moderation(bus.url);
    await again.subscriber.start();
    await until('the second verdict', () => verdicts(bus).length === 2);
    expect(again.subscriber.appliedByType.get('CommentCreated')).toBe(1);
    expect(verdicts(bus).map((e) => e.id)).toEqual(['CommentModerated:c1', 'CommentModerated:c2']);
  });
});
