import pino from 'pino';
import request from 'supertest';
import { connectBus, type NewEvent } from '@posts/bus-client';
import '@posts/bus-http';
import { openProjection, type Projection } from '@posts/db';
import { homes, type TestDatabase } from '@posts/db/testing';
import { startTestBus, type TestBus } from 'event-bus/testing';
import { createApp } from '../src/app';
import { handlers } from '../src/events';
import { createLive } from '../src/live';
import { migrations } from '../src/migrations';
import { readModel } from '../src/model';
import type { Schema } from '../src/schema';
import { openStream, serving } from './support';

const logger = pino({ level: 'silent' });

const post = (id: string, title = id): NewEvent => ({ id: `PostCreated:${id}`, type: 'PostCreated', data: { id, title } });
const comment = (type: string, id: string, postId: string, status: string, content = id): NewEvent => ({
  id: `${type}:${id}`,
  type,
  data: { id, postId, content, status },
});

describe.each(homes)('query, %s', (_home, makeDatabase) => {
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

  /** Query as its entry wires it, over this test's database. */
  async function query(busUrl: string) {
    const projection = openProjection<Schema>(database.settings, { migrations });
    opened.push(projection);
    await projection.migrate();
    const live = createLive();
    const model = readModel(projection, live);
    const subscriber = connectBus(busUrl, { logger }).subscribe({ handlers: handlers(model), state: model.state, logger });
    return { subscriber, live, app: createApp({ subscriber, model, live, logger }) };
  }

  it('builds the read model from events only: posts oldest first, each with its comments', async () => {
    await connectBus(bus.url).publishAll([
      post('p2', 'Second is first'),
      post('p1', 'First is second'),
      comment('CommentCreated', 'c1', 'p1', 'pending', 'Great post!'),
      comment('CommentCreated', 'c2', 'p1', 'pending', 'Orange!'),
      comment('CommentModerated', 'c2', 'p1', 'rejected', 'Orange!'),
      comment('CommentUpdated', 'c2', 'p1', 'rejected', 'Orange!'),
      comment('CommentUpdated', 'c1', 'p1', 'approved', 'Great post!'),
    ]);
    const { app, subscriber } = await query(bus.url);
    expect((await request(app).get('/readyz')).status).toBe(503);
    await subscriber.start();
    expect((await request(app).get('/readyz')).status).toBe(200);
    const res = await request(app).get('/posts');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['p2', 'p1']);
    expect(res.body.p1).toEqual({
      id: 'p1',
      title: 'First is second',
      comments: [
        { id: 'c1', content: 'Great post!', status: 'approved' },
        { id: 'c2', content: 'Orange!', status: 'rejected' },
      ],
    });
  });

  it('pages what the events built by their log seqs: newest post first, its newest comments, and cursors to the rest', async () => {
    const comments = ['c1', 'c2', 'c3', 'c4'].map((id) => comment('CommentCreated', id, 'p1', 'pending'));
    await connectBus(bus.url).publishAll([post('p1'), post('p2'), ...comments, post('p3'), comment('CommentUpdated', 'c4', 'p1', 'approved')]);
    const { app, subscriber } = await query(bus.url);
    await subscriber.start();
    const first = await request(app).get('/posts/page?limit=2');
    expect(first.body.posts.map((p: { id: string; commentCount: number }) => [p.id, p.commentCount])).toEqual([
      ['p3', 0],
      ['p2', 0],
    ]);
    const [p1] = (await request(app).get('/posts/page').query({ cursor: first.body.next })).body.posts;
    expect(p1.comments).toEqual([
      { id: 'c2', content: 'c2', status: 'pending' },
      { id: 'c3', content: 'c3', status: 'pending' },
      { id: 'c4', content: 'c4', status: 'approved' },
    ]);
    const older = await request(app).get('/posts/comments/page').query({ post: 'p1', cursor: p1.olderComments });
    // Both pages say which change they are as of: the log's 8th event, the last one applied.
    expect(older.body).toEqual({ comments: [{ id: 'c1', content: 'c1', status: 'pending' }], next: null, seq: 8 });
    expect(first.body.seq).toBe(8);
  });

  it("streams the changes it applies with the log's seqs as ids: a verdict takes a seq and sends nothing", async () => {
    await connectBus(bus.url).publishAll([post('p1'), comment('CommentCreated', 'c1', 'p1', 'pending', 'Hi')]);
    const { app, subscriber } = await query(bus.url);
    await subscriber.start();
    await serving(app, async (url) => {
      const stream = await openStream(`${url}/posts/live`, { 'last-event-id': '1' });
      await stream.next(2);
      await connectBus(bus.url).publishAll([
        comment('CommentModerated', 'c1', 'p1', 'approved', 'Hi'),
        comment('CommentUpdated', 'c1', 'p1', 'approved', 'Hi'),
      ]);
      await subscriber.catchUp();
      await stream.next(3);
      expect(stream.text()).toBe(
        'id: 1\nevent: start\ndata: {"seq":1}\n\n' +
          'id: 2\nevent: comment\ndata: {"postId":"p1","id":"c1","content":"Hi","status":"pending"}\n\n' +
          'id: 4\nevent: comment-status\ndata: {"postId":"p1","id":"c1","content":"Hi","status":"approved"}\n\n',
      );
      stream.close();
    });
  });

  it('applies pushed events in seq order, once, pulling what a gap hides', async () => {
    await connectBus(bus.url).publishAll([post('p1'), comment('CommentCreated', 'c1', 'p1', 'pending'), comment('CommentUpdated', 'c1', 'p1', 'approved')]);
    const { app } = await query(bus.url);
    const [e1, e2, e3] = bus.events();
    expect((await request(app).post('/events').send(e3)).body).toEqual({ ack: 3 });
    expect((await request(app).post('/events').send([e2, e1, e3])).body).toEqual({ ack: 3 });
    expect((await request(app).get('/posts')).body.p1.comments).toEqual([{ id: 'c1', content: 'c1', status: 'approved' }]);
  });

  it('ignores unknown event types and malformed event data, and answers bad requests as JSON', async () => {
    const { app } = await query(bus.url);
    const at = new Date().toISOString();
    await connectBus(bus.url).publishAll([{ type: 'PostLiked', data: {} }, { type: 'PostCreated', data: { title: 'no id' } }, post('p1')]);
    const events = bus.events();
    expect((await request(app).post('/events').send(events)).body).toEqual({ ack: 3 });
    expect(Object.keys((await request(app).get('/posts')).body)).toEqual(['p1']);
    expect((await request(app).post('/events').set('content-type', 'application/json').send('[{')).status).toBe(400);
    expect((await request(app).post('/events').send({ id: 'x', seq: 'one', type: 'PostCreated', data: {}, at })).status).toBe(400);
    expect((await request(app).get('/nothing-here')).body.error.code).toBe('not_found');
  });

  it('answers 304 to a poller that already has the current read model, and 200 once it changes', async () => {
    await connectBus(bus.url).publish(post('p1'));
    const { app, subscriber } = await query(bus.url);
    await subscriber.start();
    const first = await request(app).get('/posts');
    expect(first.headers.etag).toBeDefined();
    expect((await request(app).get('/posts').set('if-none-match', first.headers.etag)).status).toBe(304);
    await connectBus(bus.url).publish(post('p2'));
    await subscriber.catchUp();
    const changed = await request(app).get('/posts').set('if-none-match', first.headers.etag);
    expect(changed.status).toBe(200);
    expect(Object.keys(changed.body)).toEqual(['p1', 'p2']);
  });
});
