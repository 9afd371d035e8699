import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import net from 'node:net';
import { LONGEST_COMMENT, LONGEST_TITLE } from '@posts/contracts';
import { homes } from '@posts/db/testing';
import { until } from '@posts/kit/testing';
import request from 'supertest';
import { createLive } from '../src/live';
import { eachDatabase, events, openStream, serving, type FedQuery, type OpenStream } from './support';

const ids = (s: OpenStream) => s.events().map((e) => `${e.event}:${e.id}`);

/** Six seqs: a post, a comment, a verdict (no change here), its comment's new status, a comment on no post (ignored), a post. */
async function sixSeqs(q: FedQuery) {
  await q.post('p1', 'Hello'); // 1
  await q.comment('p1', 'c1', 'Hi "there"\nsecond line', 'pending'); // 2
  await q.other(); // 3
  await q.update('c1', 'Hi "there"\nsecond line', 'approved'); // 4
  await q.comment('nope', 'c9'); // 5
  await q.post('p2', 'Two'); // 6
  return q;
}

describe.each(homes)('GET /posts/live, %s', (_home, makeDatabase) => {
  const db = eachDatabase(makeDatabase);

  it('streams each change the read model applies, in seq order, with its seq as the id: these exact bytes', async () => {
    const q = await db.fedQuery();
    await q.post('p0', 'Before'); // 1
    await serving(q.app, async (url) => {
      const s = await openStream(`${url}/posts/live`);
      expect(s.status).toBe(200);
      expect(s.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(s.headers['cache-control']).toBe('no-cache, no-transform');
      expect(s.headers['x-accel-buffering']).toBe('no');
      expect(s.headers['content-length']).toBeUndefined();
      await s.next(1); // from now on: the changes before it are in any page loaded after this
      await q.post('p1', 'Hello'); // 2
      await q.comment('p1', 'c1', 'Hi "there"\nsecond line', 'pending'); // 3
      await q.other(); // 4
      await q.update('c1', 'Hi "there"\nsecond line', 'approved'); // 5
      await q.comment('nope', 'c9'); // 6: not applied, not sent
      await q.post('p2', 'Two'); // 7
      await s.next(5);
      expect(s.text()).toBe(
        'id: 1\nevent: start\ndata: {"seq":1}\n\n' +
          'id: 2\nevent: post\ndata: {"id":"p1","title":"Hello"}\n\n' +
          'id: 3\nevent: comment\ndata: {"postId":"p1","id":"c1","content":"Hi \\"there\\"\\nsecond line","status":"pending"}\n\n' +
          'id: 5\nevent: comment-status\ndata: {"postId":"p1","id":"c1","content":"Hi \\"there\\"\\nsecond line","status":"approved"}\n\n' +
          'id: 7\nevent: post\ndata: {"id":"p2","title":"Two"}\n\n',
      );
      expect(JSON.parse(s.events()[2].data!)).toEqual({ postId: 'p1', id: 'c1', content: 'Hi "there"\nsecond line', status: 'pending' });
      s.close();
    });
  });

  it('starts at 0 on an empty model, and keeps each update small: a longest comment is under 2 KB', async () => {
    const q = await db.fedQuery();
    await serving(q.app, async (url) => {
      const s = await openStream(`${url}/posts/live`);
      await s.next(1);
      await q.post('p1', 't'.repeat(LONGEST_TITLE));
      await q.comment('p1', '6a0f4b1e-3c1d-4f7a-9b2e-1d2c3b4a5f6e', 'x'.repeat(LONGEST_COMMENT), 'pending');
      await s.next(3);
      expect(s.events()[0]).toEqual({ id: '0', event: 'start', data: '{"seq":0}' });
      const comment = s.text().split('\n\n')[2] + '\n\n';
      expect(comment.startsWith('id: 2\nevent: comment\n')).toBe(true);
      expect(Buffer.byteLength(comment)).toBeLessThanOrEqual(2048);
      s.close();
    });
  });

  it('resumes after Last-Event-ID with no gap and no duplicate, across reconnects', async () => {
    const q = await sixSeqs(await db.fedQuery());
    await serving(q.app, async (url) => {
      const first = await openStream(`${url}/posts/live`, { 'last-event-id': '0' });
      await first.next(5);
      first.close(); // gone after id 6
      expect(ids(first)).toEqual(['start:0', 'post:1', 'comment:2', 'comment-status:4', 'post:6']);
      await q.post('p3'); // 7
      await q.other(); // 8
      await q.comment('p3', 'c3'); // 9
      const second = await openStream(`${url}/posts/live`, { 'last-event-id': '6' });
      await second.next(3);
      await q.post('p4'); // 10
      await second.next(4);
      expect(ids(second)).toEqual(['start:6', 'post:7', 'comment:9', 'post:10']);
      const seen = [...first.events(), ...second.events()].filter((e) => e.event !== 'start').map((e) => Number(e.id));
      expect(seen).toEqual([1, 2, 4, 6, 7, 9, 10]);
      second.close();
    });
  });

  it('takes ?since= for clients that cannot set the header; the header wins, as a browser reconnects with the same URL', async () => {
    const q = await sixSeqs(await db.fedQuery());
    await serving(q.app, async (url) => {
      const since = await openStream(`${url}/posts/live?since=2`);
      expect(ids(await since.next(3).then(() => since))).toEqual(['start:2', 'comment-status:4', 'post:6']);
      const both = await openStream(`${url}/posts/live?since=0`, { 'last-event-id': '4' });
      expect(ids(await both.next(2).then(() => both))).toEqual(['start:4', 'post:6']);
      since.close();
      both.close();
    });
  });

  it('on a replica behind the client, waits for what the client has not seen rather than skipping or repeating', async () => {
    const q = await sixSeqs(await db.fedQuery());
    await serving(q.app, async (url) => {
      const s = await openStream(`${url}/posts/live`, { 'last-event-id': '9' }); // seen on the other replica
      await s.next(1);
      for (const id of ['p7', 'p8', 'p9', 'p10']) await q.post(id); // 7..10: the first three it has
      await s.next(2);
      expect(ids(s)).toEqual(['start:9', 'post:10']);
      s.close();
    });
  });

  it('tells a client older than what it keeps to reload (reset, with the id to go on from), never a silent gap', async () => {
    const q = await db.fedQuery({ live: { capacity: 3 } });
    for (const id of ['p1', 'p2', 'p3', 'p4', 'p5']) await q.post(id); // keeps 3..5
    await serving(q.app, async (url) => {
      const old = await openStream(`${url}/posts/live`, { 'last-event-id': '1' });
      await old.next(1);
      await q.post('p6');
      await old.next(2);
      expect(old.text()).toBe('id: 5\nevent: reset\ndata: {"seq":5}\n\nid: 6\nevent: post\ndata: {"id":"p6","title":"Title of p6"}\n\n');
      // Right at the edge it still has every change after it.
      const edge = await openStream(`${url}/posts/live`, { 'last-event-id': '3' });
      expect(ids(await edge.next(4).then(() => edge))).toEqual(['start:3', 'post:4', 'post:5', 'post:6']);
      const tooOld = await openStream(`${url}/posts/live`, { 'last-event-id': '2' });
      expect(ids(await tooOld.next(1).then(() => tooOld))).toEqual(['reset:6']);
      [old, edge, tooOld].forEach((s) => s.close());
    });
  });

  it('refuses an id it never sent with 400, and answers HEAD without holding a stream open', async () => {
    const q = await db.fedQuery();
    for (const bad of ['abc', '-1', '1.5', '01', '99999999999999999', '']) {
      const res = await request(q.app).get('/posts/live').set('last-event-id', bad);
      expect([bad, res.status, res.body.error?.code]).toEqual([bad, 400, 'invalid_request']);
    }
    expect((await request(q.app).get('/posts/live?since=x')).status).toBe(400);
    const head = await request(q.app).head('/posts/live'); // headers only, and done
    expect([head.status, head.headers['content-type']]).toEqual([200, 'text/event-stream; charset=utf-8']);
    expect(q.live.clients).toBe(0);
    expect((await request(q.app).get('/posts/live?since=1&since=2')).status).toBe(400);
  });

  it('sends a ping comment on every heartbeat, and forgets a client once it leaves', async () => {
    const q = await db.fedQuery({ live: { heartbeatMs: 20 } });
    await serving(q.app, async (url) => {
      const s = await openStream(`${url}/posts/live`);
      const [, ping] = await s.next(2);
      expect(ping).toEqual({ comment: 'ping' });
      expect(s.text()).toContain('\n\n: ping\n\n');
      expect(q.live.clients).toBe(1);
      s.close();
      await until('the client forgotten', () => q.live.clients === 0);
      await q.post('p1'); // nothing left to write to
    });
  });

  it('drops a client whose socket stays full, without holding back the others or what it is sent', async () => {
    const q = await db.fedQuery({ live: { heartbeatMs: 500, capacity: 20_000 } }); // the burst below all fits: no reset
    await serving(q.app, async (url) => {
      const fast = await openStream(`${url}/posts/live`);
      await fast.next(1);
      // A client that asks, then never reads.
      const slow = net.connect(Number(new URL(url).port), '127.0.0.1');
      slow.write('GET /posts/live HTTP/1.1\r\nhost: posts.com\r\n\r\n');
      slow.pause();
      await until('the slow client connected', () => q.live.clients === 2);
      await q.post('p1');
      const content = 'x'.repeat(1000);
      await q.feed(...Array.from({ length: 16_000 }, (_, i) => events.comment('p1', `c${i}`, content))); // ~18 MB, far more than the sockets hold (~4 MB here)
      await fast.next(16_002);
      await until('the slow client dropped', () => q.live.clients === 1);
      let received = 0;
      slow.on('data', (chunk: Buffer) => (received += chunk.length));
      slow.resume();
      await new Promise((resolve) => slow.on('close', resolve));
      expect(received).toBeLessThan(Buffer.byteLength(fast.text()) / 2); // what the sockets held when it stopped: never the rest
      fast.close();
    });
  }, 60_000);

  it('ends every stream on close(), and any opened after it at once, so a shutdown is not held up', async () => {
    const q = await sixSeqs(await db.fedQuery());
    await serving(q.app, async (url) => {
      const streams = await Promise.all([openStream(`${url}/posts/live`), openStream(`${url}/posts/live`, { 'last-event-id': '1' })]);
      await Promise.all(streams.map((s) => s.next(1)));
      q.live.close();
      await Promise.all(streams.map((s) => s.ended));
      expect(q.live.clients).toBe(0);
      const late = await openStream(`${url}/posts/live`);
      await late.ended;
      expect([late.status, late.text()]).toEqual([200, '']);
    });
  });
});

describe('the ring of recent changes', () => {
  it('replays from any seq it still holds after wrapping around many times, and resets before that', () => {
    const live = createLive({ capacity: 7 });
    for (let seq = 1; seq <= 100; seq += 2) live.publish({ seq, event: 'post', data: { id: `p${seq}`, title: '' } }); // keeps 87..99
    // A response of our own that takes every write: only the ring is looked at here.
    const sentAfter = (since: number) => {
      const chunks: string[] = [];
      const res = Object.assign(new EventEmitter(), { req: { method: 'GET' }, writeHead: () => res, write: (chunk: string) => chunks.push(chunk) > 0 });
      live.stream(res as unknown as ServerResponse, since);
      res.emit('close');
      return chunks.map((c) => `${/^event: (\w+)/m.exec(c)![1]}:${/^id: (\d+)/.exec(c)![1]}`);
    };
    const kept = [87, 89, 91, 93, 95, 97, 99].map((seq) => `post:${seq}`);
    expect(sentAfter(85)).toEqual(['start:85', ...kept]);
    expect(sentAfter(86)).toEqual(['start:86', ...kept]);
    expect(sentAfter(87)).toEqual(['start:87', ...kept.slice(1)]);
    expect(sentAfter(98)).toEqual(['start:98', 'post:99']);
    expect(sentAfter(99)).toEqual(['start:99']);
    expect(sentAfter(84)).toEqual(['reset:99']);
    expect(live.clients).toBe(0);
  });
});
