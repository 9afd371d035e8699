// Services written the course's way read one event per request (`req.body.type`) and answer
// 200 to anything: subscribed to our bus, they must still get every event.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import express, { type Express } from 'express';
import { until } from '@posts/kit/testing';
import { startTestBus, type TestBus } from '../src/testing';

interface Post {
  id: string;
  title: string;
  comments: Array<{ id: string; content: string; status: string }>;
}

async function listen(app: Express) {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The course's query service: one read model, built from one event per request. */
function courseQuery() {
  const posts: Record<string, Post> = {};
  const app = express();
  app.use(express.json());
  app.post('/events', (req, res) => {
    const { type, data } = req.body;
    if (type === 'PostCreated') posts[data.id] = { id: data.id, title: data.title, comments: [] };
    if (type === 'CommentCreated') posts[data.postId].comments.push({ id: data.id, content: data.content, status: data.status });
    res.send({});
  });
  return { app, posts };
}

/** The course's moderation service: a verdict for each comment, published back to the bus. */
function courseModeration(busUrl: () => string) {
  const app = express();
  app.use(express.json());
  app.post('/events', async (req, res) => {
    const { type, data } = req.body;
    if (type === 'CommentCreated') {
      const status = data.content.includes('orange') ? 'rejected' : 'approved';
      await axios.post(`${busUrl()}/events`, { type: 'CommentModerated', data: { id: data.id, postId: data.postId, content: data.content, status } });
    }
    res.send({ status: 'OK' });
  });
  return app;
}

const comment = (i: number) => ({ type: 'CommentCreated', data: { id: `c${i}`, postId: 'p1', content: `comment ${i}`, status: 'pending' } });
const ids = (events: ReturnType<TestBus['events']>, type: string) => events.filter((e) => e.type === type).map((e) => e.data.id as string);

// As a comments service publishes them: one after another (each within the bus's linger
// window of the last delivery), or many at once.
const shapes: Array<[string, (publish: (i: number) => Promise<unknown>) => Promise<unknown>]> = [
  [
    'one after another',
    async (publish) => {
      for (let i = 0; i < 20; i++) await publish(i);
    },
  ],
  ['all at once', (publish) => Promise.all(Array.from({ length: 20 }, (_, i) => publish(i)))],
];

describe('a subscriber written the course way', () => {
  let bus: TestBus;
  afterEach(() => bus?.close());

  it.each(shapes)('gets every comment, in order, when 20 are published %s', async (_, publishAll) => {
    const query = courseQuery();
    const service = await listen(query.app);
    bus = await startTestBus([service.url]);
    try {
      await axios.post(`${bus.url}/events`, { type: 'PostCreated', data: { id: 'p1', title: 'Hello' } });
      await until('post p1', () => query.posts.p1 !== undefined);
      await publishAll((i) => axios.post(`${bus.url}/events`, comment(i)));
      const published = ids(bus.events(), 'CommentCreated');
      // On failure, the assertion below shows the comments the service missed.
      await until('20 comments on p1', () => query.posts.p1?.comments.length === 20, 2000).catch(() => undefined);
      expect(query.posts.p1?.comments.map((c) => c.id)).toEqual(published);
    } finally {
      await service.close();
    }
  });

  it('has every one of 20 comments moderated by a course-style moderation service', async () => {
    let busUrl = '';
    const service = await listen(courseModeration(() => busUrl));
    bus = await startTestBus([service.url]);
    busUrl = bus.url;
    try {
      await Promise.all(Array.from({ length: 20 }, (_, i) => axios.post(`${bus.url}/events`, comment(i))));
      const unmoderated = () => {
        const moderated = new Set(ids(bus.events(), 'CommentModerated'));
        return ids(bus.events(), 'CommentCreated').filter((id) => !moderated.has(id));
      };
      // On failure, the assertion below shows the comments left pending.
      await until('every comment moderated', () => unmoderated().length === 0, 2000).catch(() => undefined);
      expect(unmoderated()).toEqual([]);
    } finally {
      await service.close();
    }
  });
});
