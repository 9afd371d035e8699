/** @jest-environment node */
// The console's API over a real bus (event-bus/testing), a real read model (query's own app, fed by that bus) and
// real subscribers: pages of the log, subscribers by name and never by address, paths, bad input, the live stream.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectBus, type Bus, type BusTransport } from '@posts/bus-client';
import { HttpTransport } from '@posts/bus-http';
import { openProjection } from '@posts/db';
import { sleep, until } from '@posts/kit/testing';
import { startTestBus, type TestBus } from 'event-bus/testing';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { createApp as createQueryApp } from '../../query/src/app';
import { handlers } from '../../query/src/events';
import { createLive } from '../../query/src/live';
import { migrations } from '../../query/src/migrations';
import { readModel } from '../../query/src/model';
import type { Schema } from '../../query/src/schema';
import { createApp } from '../src/server/app';
import { ConsoleView } from '../src/server/console/view';

jest.setTimeout(30_000);

const SECRET = 'console-test-secret-0123456789abcdef';
const silent = pino({ level: 'silent' });
let staticDir: string;
let bus: TestBus;
let publisher: Bus;
let view: ConsoleView;
let transport: HttpTransport;
let queryUrl: string;
let subscriberUrl: string;
/** What the second subscriber's `GET /state` answers; undefined: a 404, as a service without one; 'hang': nothing. */
let stubState: unknown;
const servers: http.Server[] = [];
const closers: Array<() => Promise<unknown>> = [];

function listen(handler?: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

/** A port nothing listens on: a subscriber there fails every delivery. */
async function closedPort(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await new Promise((resolve) => server.close(resolve));
  return url;
}

/** Events `from`..`to` of one request each, as a comment's path would be: created, moderated, updated. */
async function publishComment(id: string, requestId: string, status: 'approved' | 'rejected'): Promise<void> {
  const comment = { id, postId: 'post-1', content: 'hello', status: 'pending' };
  await publisher.publish({ id: `CommentCreated:${id}`, type: 'CommentCreated', data: comment, requestId });
  await publisher.publish({ id: `CommentModerated:${id}`, type: 'CommentModerated', data: { ...comment, status }, requestId });
  await publisher.publish({ id: `CommentUpdated:${id}`, type: 'CommentUpdated', data: { ...comment, status }, requestId });
}

beforeAll(async () => {
  staticDir = mkdtempSync(path.join(tmpdir(), 'console-static-'));
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><div id="root"></div>');

  // The read model: query's app, served before the bus starts, as the bus must know where to deliver.
  const queryServer = http.createServer();
  servers.push(queryServer);
  await new Promise<void>((resolve) => queryServer.listen(0, '127.0.0.1', resolve));
  queryUrl = `http://127.0.0.1:${(queryServer.address() as AddressInfo).port}`;
  // A subscriber that takes every delivery and says where its state stands as told; and one at an address where nothing answers.
  const delivered = express()
    .post('/events', express.json({ limit: '16mb' }), (req, res) => {
      const events = Array.isArray(req.body) ? req.body : [req.body];
      res.json({ ack: events.at(-1).seq });
    })
    .get('/state', (_req, res) => {
      if (stubState === 'hang') return; // a service paused, or too slow
      if (stubState === undefined) res.status(404).json({ error: { code: 'not_found' } });
      else res.json(stubState);
    });
  subscriberUrl = await listen(delivered);
  const nowhere = await closedPort();

  bus = await startTestBus([`${queryUrl}/events`, `${subscriberUrl}/events`, `${nowhere}/events`], undefined, 0, { secret: SECRET });
  publisher = connectBus({ EVENT_BUS_URL: bus.url, BUS_SECRET: SECRET });
  const live = createLive();
  const projection = openProjection<Schema>({}, { migrations }); // in memory
  await projection.migrate();
  const model = readModel(projection, live);
  const subscriber = connectBus({ EVENT_BUS_URL: bus.url, BUS_SECRET: SECRET }).subscribe({ handlers: handlers(model), state: model.state, logger: silent });
  queryServer.on('request', createQueryApp({ subscriber, model, live, logger: silent }));
  await subscriber.start();
  closers.push(
    async () => live.close(),
    () => subscriber.stop(),
    () => projection.close(),
  );

  publisher.publish({ id: 'PostCreated:post-1', type: 'PostCreated', data: { id: 'post-1', title: 'A post' }, requestId: 'req-post' });
  // 120 events: more than the console keeps (100), so the oldest pages come from the log.
  for (let i = 1; i < 120; i++) await publisher.publish({ id: `Other:${i}`, type: 'SomethingElse', data: { n: i }, requestId: `req-${i}` });

  transport = new HttpTransport(bus.url, { secret: SECRET });
  view = new ConsoleView({
    transport,
    queryUrl,
    serviceUrls: { query: queryUrl, comments: subscriberUrl },
    logger: silent,
    capacity: 100,
    pollMs: 20,
    heartbeatMs: 60_000,
  });
  view.start();
  await view.want();
  await until('query caught up', () => view.subscribers !== null && view.subscribers.every((s) => s.name !== 'query' || s.lag === 0), 10_000);
  await until('the path of req-119', () => view.path('req-119') !== undefined, 10_000);
});

afterAll(async () => {
  await view?.close();
  for (const close of closers) await close();
  await publisher?.close();
  await bus?.close();
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  rmSync(staticDir, { recursive: true, force: true });
});

const app = () => createApp({ staticDir, logger: silent, consoleView: view });
const seqs = (body: { events: { seq: number }[] }) => body.events.map((e) => e.seq);

describe('GET /console/api/events', () => {
  it('answers the newest events first, a page at a time, then older pages read from the log', async () => {
    const newest = await request(app()).get('/console/api/events?limit=10').expect(200);
    expect(newest.headers['cache-control']).toBe('no-store');
    expect(seqs(newest.body)).toEqual([120, 119, 118, 117, 116, 115, 114, 113, 112, 111]);
    expect(newest.body.next).toBe(111);
    expect(newest.body.events[0]).toEqual({ seq: 120, type: 'SomethingElse', at: expect.any(String), requestId: 'req-119' });

    const older = await request(app()).get(`/console/api/events?before=${newest.body.next}&limit=10`).expect(200);
    expect(seqs(older.body)).toEqual([110, 109, 108, 107, 106, 105, 104, 103, 102, 101]);
    // Older than the 100 kept: read from the log, the same shape.
    const oldest = await request(app()).get('/console/api/events?before=6&limit=10').expect(200);
    expect(seqs(oldest.body)).toEqual([5, 4, 3, 2, 1]);
    expect(oldest.body.next).toBeNull();
    expect(oldest.body.events[4]).toEqual({ seq: 1, type: 'PostCreated', at: expect.any(String), requestId: 'req-post', subject: 'post-1' });
  });

  it.each(['limit=0', 'limit=201', 'limit=abc', 'before=0', 'before=-3', 'before=1.5'])('refuses ?%s with a 400 in JSON', async (query) => {
    const res = await request(app()).get(`/console/api/events?${query}`).expect(400);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.body.error.code).toBe('invalid_request');
  });
});

describe('GET /console/api/subscribers', () => {
  it('names each subscriber by its service, or by a number, and never shows an address', async () => {
    await until('the third subscriber failing', () => view.subscribers?.[2]?.state === 'failing', 10_000);
    const res = await request(app()).get('/console/api/subscribers').expect(200);
    expect(res.body.subscribers).toEqual([
      // query's own state (in memory here: no database); comments' stub has no GET /state.
      { name: 'query', cursor: 120, lag: 0, retries: 0, state: 'caught up', checkpoint: 120, logHead: 120 },
      { name: 'comments', cursor: 120, lag: 0, retries: 0, state: 'caught up' },
      {
        name: 'subscriber 3',
        cursor: expect.any(Number),
        lag: expect.any(Number),
        retries: expect.any(Number),
        state: 'failing',
        lastError: expect.any(Object),
      },
    ]);
    expect(res.body.subscribers[2].lag).toBeGreaterThan(0);
    expect(res.body.subscribers[2].lastError.message).toMatch(/ECONNREFUSED/);
    expect(res.text).not.toMatch(/127\.0\.0\.1|http:|:\d{4,5}\b/);
  });
});

describe("each service's own state", () => {
  afterEach(() => (stubState = undefined));
  const comments = () => view.subscribers?.find((s) => s.name === 'comments');

  it('shows its checkpoint and database beside the cursor, and a rebuild with its progress', async () => {
    stubState = { checkpoint: 48, logHead: 120, rebuilding: true, database: { kind: 'postgres', bytes: 5_242_880 }, where: '/data/state.db' };
    await until('comments rebuilding', () => comments()?.state === 'rebuilding', 10_000);
    const res = await request(app()).get('/console/api/subscribers').expect(200);
    expect(res.body.subscribers[1]).toEqual({
      name: 'comments',
      cursor: expect.any(Number),
      lag: 0,
      retries: 0,
      state: 'rebuilding',
      checkpoint: 48,
      logHead: 120,
      database: { kind: 'postgres', bytes: 5_242_880 },
    });
    // Only what the console shows: nothing else the service says is passed on.
    expect(res.text).not.toContain('/data/state.db');

    stubState = { checkpoint: 120, logHead: 120, rebuilding: false, database: { kind: 'embedded', bytes: 8192 } };
    await until('comments rebuilt', () => comments()?.state === 'caught up', 10_000);
    expect(comments()).toMatchObject({ checkpoint: 120, database: { kind: 'embedded', bytes: 8192 } });
  });

  it('keeps the cursors moving while a service does not answer, and leaves its state out once it has not in time', async () => {
    stubState = { checkpoint: 120, logHead: 120, rebuilding: false, database: { kind: 'embedded', bytes: 8192 } };
    await until('comments described', () => comments()?.database !== undefined, 10_000);
    stubState = 'hang';
    await sleep(100); // the console's next ask hangs
    const head = (await view.page(1)).events[0].seq;
    await publisher.publish({ id: 'Hang:1', type: 'SomethingElse', data: {}, requestId: 'req-hang' });
    // Well within the 2 s the console waits for a GET /state.
    await until('query at the new head', () => view.subscribers?.find((s) => s.name === 'query')?.cursor === head + 1, 1_000);
    await until('comments without a state', () => comments()?.checkpoint === undefined, 10_000);
  });

  it.each([
    ['nothing (a 404)', undefined],
    ['it in the wrong shape', { checkpoint: 'many', rebuilding: 'yes' }],
  ])('leaves out the state of a service that says %s', async (_name, answer) => {
    stubState = { checkpoint: 120, logHead: 120, rebuilding: false, database: { kind: 'embedded', bytes: 8192 } };
    await until('comments described', () => comments()?.database !== undefined, 10_000);
    stubState = answer;
    await until('comments without a state', () => comments()?.checkpoint === undefined, 10_000);
    expect(comments()).toEqual({ name: 'comments', cursor: expect.any(Number), lag: 0, retries: 0, state: 'caught up' });
  });
});

describe('GET /console/api/path', () => {
  it("shows a comment's path, by its id or its request id: each event, then the read model showing what it changed", async () => {
    await publishComment('comment-1', 'req-comment-1', 'rejected');
    await until('comment-1 visible twice', () => view.path('comment-1')?.steps.filter((s) => s.what === 'visible').length === 2, 10_000);
    const byComment = await request(app()).get('/console/api/path?id=comment-1').expect(200);
    expect(byComment.body.steps.map((s: { what: string; status?: string }) => `${s.what} ${s.status}`)).toEqual([
      'CommentCreated pending',
      'visible pending',
      'CommentModerated rejected',
      'CommentUpdated rejected',
      'visible rejected',
    ]);
    expect(byComment.body.steps[0].afterMs).toBeNull();
    for (const step of byComment.body.steps.slice(1)) expect(typeof step.afterMs).toBe('number');
    expect(byComment.body.subjects).toEqual(['comment-1']);
    const byRequest = await request(app()).get('/console/api/path?id=req-comment-1').expect(200);
    expect(byRequest.body.steps).toEqual(byComment.body.steps);
  });

  it('answers 404 for an id no recent event has, and 400 without an id', async () => {
    expect((await request(app()).get('/console/api/path?id=nobody').expect(404)).body.error.code).toBe('not_found');
    expect((await request(app()).get('/console/api/path').expect(400)).body.error.code).toBe('invalid_request');
    expect(
      (
        await request(app())
          .get(`/console/api/path?id=${'x'.repeat(201)}`)
          .expect(400)
      ).body.error.code,
    ).toBe('invalid_request');
  });
});

describe('the rest of /console/api', () => {
  it('has no write route and no page: anything else is a JSON 404', async () => {
    const before = bus.events().length;
    for (const method of ['post', 'put', 'delete'] as const) {
      const res = await request(app())[method]('/console/api/events').send({ type: 'Forged', data: {} });
      expect(res.status).toBe(404);
    }
    const unknown = await request(app()).get('/console/api/secrets').set('Accept', 'text/html').expect(404);
    expect(unknown.headers['content-type']).toMatch(/application\/json/);
    expect(bus.events().length).toBe(before);
  });

  it('answers 503 in JSON without a bus, while the blog page is still served', async () => {
    const withoutBus = createApp({ staticDir, logger: silent });
    const res = await request(withoutBus).get('/console/api/events').expect(503);
    expect(res.body.error.code).toBe('unavailable');
    await request(withoutBus).get('/console').set('Accept', 'text/html').expect(200);
    await request(withoutBus).get('/').set('Accept', 'text/html').expect(200);
  });
});

/** An open event stream: its text so far, and a wait for what it should hold. */
function openStream(url: string, headers: Record<string, string> = {}) {
  let text = '';
  let response: http.IncomingMessage | undefined;
  const req = http.get(url, { headers }, (res) => {
    response = res;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (text += chunk));
  });
  req.on('error', () => undefined);
  return {
    text: () => text,
    headers: () => response?.headers,
    until: (check: (text: string) => boolean) => until('the stream to say it', () => check(text), 10_000),
    close: () => req.destroy(),
  };
}

describe('GET /console/api/live', () => {
  let url: string;
  beforeAll(async () => {
    url = `${await listen(app())}/console/api/live`;
  });

  it('starts with a snapshot, then streams each new event with its seq as the id', async () => {
    const stream = openStream(url);
    await stream.until((t) => t.includes('event: snapshot'));
    expect(stream.headers()?.['content-type']).toBe('text/event-stream; charset=utf-8');
    const head = Number(/^id: (\d+)\nevent: snapshot\n/.exec(stream.text())![1]);
    const snapshot = JSON.parse(/event: snapshot\ndata: (.*)\n/.exec(stream.text())![1]);
    expect(snapshot.events[0].seq).toBe(head);
    expect(snapshot.subscribers.map((s: { name: string }) => s.name)).toEqual(['query', 'comments', 'subscriber 3']);

    await publisher.publish({ id: 'Live:1', type: 'SomethingElse', data: { n: 1 }, requestId: 'req-live' });
    await stream.until((t) => t.includes(`id: ${head + 1}\nevent: log\n`));
    expect(stream.text()).toContain(`id: ${head + 1}\nevent: log\ndata: {"seq":${head + 1},"type":"SomethingElse"`);
    stream.close();
  });

  it('resumes after Last-Event-ID with the events it missed, and no snapshot', async () => {
    const head = (await request(app()).get('/console/api/events?limit=1')).body.events[0].seq as number;
    await publisher.publish({ id: 'Missed:1', type: 'SomethingElse', data: {}, requestId: 'req-missed' });
    const stream = openStream(url, { 'last-event-id': String(head) });
    await stream.until((t) => t.includes(`id: ${head + 1}\nevent: log\n`));
    expect(stream.text()).not.toContain('event: snapshot');
    expect(stream.text()).toContain('"requestId":"req-missed"');
    stream.close();
  });

  it('sends a snapshot to a Last-Event-ID older than the events kept; refuses one that is not a seq', async () => {
    const stream = openStream(url, { 'last-event-id': '3' });
    await stream.until((t) => t.includes('event: snapshot'));
    stream.close();
    expect((await request(app()).get('/console/api/live').set('Last-Event-ID', 'abc').expect(400)).body.error.code).toBe('invalid_request');
  });
});

describe('while nobody looks', () => {
  it('reads neither the log nor its subscribers, and catches up at the next look', async () => {
    let reads = 0;
    // The real transport, with its reads counted.
    const counted: BusTransport = {
      url: transport.url,
      append: (events) => transport.append(events),
      read: (after, limit) => (reads++, transport.read(after, limit)),
      subscriptions: () => (reads++, transport.subscriptions!()),
      close: async () => undefined,
    };
    const quiet = new ConsoleView({ transport: counted, queryUrl, serviceUrls: {}, logger: silent, capacity: 100, pollMs: 20, idleMs: 300 });
    quiet.start();
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(reads).toBe(0);

      await quiet.want();
      expect(reads).toBeGreaterThan(0);
      const head = (await quiet.page(1)).events[0].seq;
      expect(quiet.path('req-119')).toBeDefined();

      // A look, then nothing for longer than idleMs: the reading stops.
      let seen = -1;
      for (let i = 0; i < 30 && reads !== seen; i++) {
        seen = reads;
        await sleep(150);
      }
      await sleep(300);
      expect(reads).toBe(seen);

      await publisher.publish({ id: 'Other:after-idle', type: 'SomethingElse', data: { n: 0 }, requestId: 'req-after-idle' });
      await quiet.want();
      expect((await quiet.page(1)).events[0]).toMatchObject({ seq: head + 1, requestId: 'req-after-idle' });
    } finally {
      await quiet.close();
    }
  });
});
