import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { parseAllDocuments } from 'yaml';
import { homes } from '@posts/db/testing';
import * as store from '../src/store';
import { eachDatabase, type FedQuery } from './support';

const c = (id: string) => ({ id, content: `Content of ${id}`, status: 'approved' });

/** Every post id from the first page on, following `next`, with `between` run before each later page. */
async function allPostIds(app: Parameters<typeof request>[0], limit: number, between = async () => {}) {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const res: request.Response = await request(app)
      .get('/posts/page')
      .query(cursor ? { limit, cursor } : { limit });
    expect(res.status).toBe(200);
    ids.push(...res.body.posts.map((p: { id: string }) => p.id));
    cursor = res.body.next;
    await between();
  } while (cursor);
  return ids;
}

describe.each(homes)('GET /posts/page, %s', (_home, makeDatabase) => {
  const db = eachDatabase(makeDatabase);

  it('pages posts newest first, each with its comment count, its newest 3 comments in log order and a cursor to the older ones', async () => {
    const q = await db.fedQuery();
    for (const id of ['p1', 'p2', 'p3', 'p4', 'p5']) await q.post(id);
    for (const id of ['c1', 'c2', 'c3', 'c4', 'c5']) await q.comment('p3', id);
    await q.comment('p5', 'c6');

    const first = await request(q.app).get('/posts/page?limit=2');
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      posts: [
        { id: 'p5', title: 'Title of p5', commentCount: 1, comments: [c('c6')], olderComments: null },
        { id: 'p4', title: 'Title of p4', commentCount: 0, comments: [], olderComments: null },
      ],
      next: expect.any(String),
      seq: 11,
    });
    const second = await request(q.app).get('/posts/page').query({ limit: 2, cursor: first.body.next });
    expect(second.body.posts.map((p: { id: string }) => p.id)).toEqual(['p3', 'p2']);
    expect(second.body.posts[0]).toEqual({
      id: 'p3',
      title: 'Title of p3',
      commentCount: 5,
      comments: [c('c3'), c('c4'), c('c5')],
      olderComments: expect.any(String),
    });
    const last = await request(q.app).get('/posts/page').query({ limit: 2, cursor: second.body.next });
    expect(last.body).toEqual({ posts: [expect.objectContaining({ id: 'p1' })], next: null, seq: 11 });
  });

  it('answers the first page made once per change, and a new one as soon as anything changes', async () => {
    const q = await db.fedQuery();
    await q.post('p1');
    const before = await request(q.app).get('/posts/page?limit=5');
    expect((await request(q.app).get('/posts/page?limit=5')).text).toBe(before.text);
    expect(before.headers['content-type']).toBe('application/json; charset=utf-8');
    await q.comment('p1', 'c1');
    const after = await request(q.app).get('/posts/page?limit=5');
    expect(after.body.posts[0].comments).toEqual([c('c1')]);
    expect(after.body.seq).toBeGreaterThan(before.body.seq);
    // Another size of page is its own.
    expect((await request(q.app).get('/posts/page?limit=1')).body.posts).toHaveLength(1);
    expect((await request(q.app).get('/posts/page?limit=5')).text).toBe(after.text);
  });

  it('makes the default first page once per change of the model, the same bytes as `?limit=10`', async () => {
    const q = await db.fedQuery();
    await q.post('p1');
    await q.comment('p1', 'c1');
    const made = jest.spyOn(store, 'postsPage');
    const first = await request(q.app).get('/posts/page').set('x-request-id', 'r-1');
    expect([first.headers['content-type'], first.headers['x-request-id']]).toEqual(['application/json; charset=utf-8', 'r-1']);
    expect((await request(q.app).get('/posts/page')).text).toBe(first.text);
    expect((await request(q.app).get('/posts/page?limit=10')).text).toBe(first.text);
    expect(made).toHaveBeenCalledTimes(1);
    await q.comment('p1', 'c2');
    expect((await request(q.app).get('/posts/page')).body.posts[0].comments).toEqual([c('c1'), c('c2')]);
    expect(made).toHaveBeenCalledTimes(2);
    made.mockRestore();
  });

  it('shows 10 posts by default, and an empty page with no next when there are none', async () => {
    const q = await db.fedQuery();
    expect((await request(q.app).get('/posts/page')).body).toEqual({ posts: [], next: null, seq: 0 });
    for (let i = 1; i <= 12; i++) await q.post(`p${i}`);
    const res = await request(q.app).get('/posts/page');
    expect(res.body.posts.map((p: { id: string }) => p.id)).toEqual(['p12', 'p11', 'p10', 'p9', 'p8', 'p7', 'p6', 'p5', 'p4', 'p3']);
    expect(await allPostIds(q.app, 50)).toHaveLength(12);
  });

  it('keeps its place while posts and comments arrive: every post there was at the first page, once, in order', async () => {
    const q = await db.fedQuery();
    for (let i = 1; i <= 20; i++) {
      await q.post(`p${i}`);
      await q.other();
      if (i % 3 === 0) await q.comment(`p${i}`, `c${i}`);
    }
    const before = Array.from({ length: 20 }, (_, i) => `p${20 - i}`);
    let added = 0;
    const ids = await allPostIds(q.app, 3, async () => {
      added++;
      await q.post(`new${added}`);
      await q.comment(`p${added}`, `late${added}`); // a comment on a post not paged to yet
      await q.comment(`new${added}`, `late-on-new${added}`);
    });
    expect(ids).toEqual(before);
    expect(added).toBe(7);
    // The posts that came meanwhile are all on a fresh first page.
    const fresh = await request(q.app).get('/posts/page?limit=7');
    expect(fresh.body.posts.map((p: { id: string }) => p.id)).toEqual(['new7', 'new6', 'new5', 'new4', 'new3', 'new2', 'new1']);
  });

  it('answers a bad limit or cursor with 400 invalid_request', async () => {
    const q = await db.fedQuery();
    for (let i = 1; i <= 3; i++) await q.post(`p${i}`);
    await q.comment('p1', 'c1');
    const commentCursor = Buffer.from(`comment:2`).toString('base64url');
    const postCursor = (await request(q.app).get('/posts/page?limit=1')).body.next;
    expect(postCursor).toEqual(expect.any(String));
    for (const query of [
      'limit=0',
      'limit=51',
      'limit=-1',
      'limit=1.5',
      'limit=ten',
      'limit=',
      'limit=1&limit=2',
      'cursor=',
      'cursor=!!!',
      'cursor=bm9wZQ', // "nope"
      `cursor=${Buffer.from('post:0').toString('base64url')}`,
      `cursor=${Buffer.from('post:12345678901234567').toString('base64url')}`,
      `cursor=${postCursor}=`, // another spelling of a good cursor
      `cursor=${commentCursor}`, // a comment cursor is not a post cursor
    ]) {
      const res = await request(q.app).get(`/posts/page?${query}`);
      expect([query, res.status, res.body.error?.code]).toEqual([query, 400, 'invalid_request']);
      expect(res.body.error.message).toEqual(expect.stringMatching(/^(limit|cursor): /));
    }
    expect((await request(q.app).get(`/posts/page?cursor=${postCursor}&limit=50`)).status).toBe(200);
  });
});

describe.each(homes)('the seq of a page, %s', (_home, makeDatabase) => {
  const db = eachDatabase(makeDatabase);
  const postsPage = async (app: Parameters<typeof request>[0]) => (await request(app).get('/posts/page?limit=1')).body.seq;
  const commentsPage = async (app: Parameters<typeof request>[0]) => (await request(app).get('/posts/comments/page?post=p1')).body.seq;
  /** A live stream's events as `id event`, written to a stand-in for its response. */
  function listen(q: FedQuery): string[] {
    const events: string[] = [];
    const write = (text: string) => (events.push(text.replace(/^id: (\d+)\nevent: ([a-z-]+)\n[^]*$/, '$1 $2')), true);
    q.live.stream({ req: { method: 'GET' }, writeHead() {}, write, end() {}, on() {} } as never);
    return events;
  }

  it("is the last applied change's seq, the live event id it was sent with, on both pages, and grows with each change", async () => {
    const q = await db.fedQuery();
    const events = listen(q);
    await q.post('p1');
    expect([await postsPage(q.app), await commentsPage(q.app)]).toEqual([1, 1]);
    await q.comment('p1', 'c1');
    expect([await postsPage(q.app), await commentsPage(q.app)]).toEqual([2, 2]);
    await q.update('c1', 'Edited', 'rejected'); // a status change is a change too, with a live event
    expect([await postsPage(q.app), await commentsPage(q.app)]).toEqual([3, 3]);
    await q.post('p2');
    expect([await postsPage(q.app), await commentsPage(q.app)]).toEqual([4, 4]);
    expect(events).toEqual(['0 start', '1 post', '2 comment', '3 comment-status', '4 post']);
    q.live.close();
  });

  it('is where a new stream starts', async () => {
    const q = await db.fedQuery();
    await q.post('p1');
    await q.comment('p1', 'c1');
    expect(listen(q)).toEqual(['2 start']);
    expect(await postsPage(q.app)).toBe(2);
    q.live.close();
  });

  it('stays at the last applied change when the store ignores an event (no live event for it either)', async () => {
    const q = await db.fedQuery();
    await q.post('p1');
    await q.other(); // e.g. a moderation verdict: not a change of the read model
    await q.comment('nope', 'c0'); // a comment on a post it does not have: ignored
    await q.comment('p1', 'c1', 'x'); // takes seq 4
    await q.comment('p1', 'c1'); // the same comment again: ignored
    expect([await postsPage(q.app), await commentsPage(q.app)]).toEqual([4, 4]);
  });
});

describe.each(homes)('GET /posts/comments/page, %s', (_home, makeDatabase) => {
  const db = eachDatabase(makeDatabase);

  it("pages a post's older comments from the cursor its post came with, newest pages first, each in log order", async () => {
    const q = await db.fedQuery();
    await q.post('p1');
    await q.post('p2');
    for (let i = 1; i <= 8; i++) {
      await q.comment('p1', `c${i}`);
      await q.comment('p2', `other${i}`);
    }
    const [p2, p1] = (await request(q.app).get('/posts/page')).body.posts;
    expect(p2.id).toBe('p2');
    expect(p1.comments.map((x: { id: string }) => x.id)).toEqual(['c6', 'c7', 'c8']);

    const older = await request(q.app).get('/posts/comments/page').query({ post: 'p1', cursor: p1.olderComments, limit: 3 });
    expect(older.status).toBe(200);
    expect(older.body).toEqual({ comments: [c('c3'), c('c4'), c('c5')], next: expect.any(String), seq: 18 });
    const oldest = await request(q.app).get('/posts/comments/page').query({ post: 'p1', cursor: older.body.next, limit: 3 });
    expect(oldest.body).toEqual({ comments: [c('c1'), c('c2')], next: null, seq: 18 });
    // Without a cursor: the newest, 20 by default.
    const newest = await request(q.app).get('/posts/comments/page?post=p2');
    expect(newest.body.comments.map((x: { id: string }) => x.id)).toEqual(['other1', 'other2', 'other3', 'other4', 'other5', 'other6', 'other7', 'other8']);
    expect(newest.body.next).toBeNull();
  });

  it('keeps its place while comments arrive: every older comment, once, and an update shows where the comment is', async () => {
    const q = await db.fedQuery();
    await q.post('p1');
    for (let i = 1; i <= 10; i++) await q.comment('p1', `c${i}`);
    const [p1] = (await request(q.app).get('/posts/page')).body.posts;
    const seen: string[] = [];
    let cursor = p1.olderComments;
    for (let added = 1; cursor; added++) {
      await q.comment('p1', `late${added}`);
      await q.update('c1', 'Edited', 'rejected');
      const res = await request(q.app).get('/posts/comments/page').query({ post: 'p1', cursor, limit: 2 });
      seen.unshift(...res.body.comments.map((x: { id: string; content: string }) => `${x.id}:${x.content}`));
      cursor = res.body.next;
    }
    expect(seen).toEqual(['c1:Edited', ...[2, 3, 4, 5, 6, 7].map((i) => `c${i}:Content of c${i}`)]);
  });

  it('answers 404 for a post it does not have, and 400 for a missing post, a bad limit or a bad cursor', async () => {
    const q = await db.fedQuery();
    await q.post('p1');
    await q.comment('p1', 'c1');
    const notFound = await request(q.app).get('/posts/comments/page?post=nope');
    expect([notFound.status, notFound.body.error.code]).toEqual([404, 'not_found']);
    const postCursor = Buffer.from('post:1').toString('base64url');
    for (const query of ['', 'post=', 'post=p1&limit=0', 'post=p1&limit=101', 'post=p1&cursor=xyz', `post=p1&cursor=${postCursor}`]) {
      const res = await request(q.app).get(`/posts/comments/page?${query}`);
      expect([query, res.status, res.body.error?.code]).toEqual([query, 400, 'invalid_request']);
    }
    expect((await request(q.app).get('/posts/comments/page?post=p1&limit=100')).body).toEqual({ comments: [c('c1')], next: null, seq: 2 });
  });
});

describe('the paged routes through the Ingress', () => {
  /* eslint-disable @typescript-eslint/no-explicit-any */
  const k8s = path.join(__dirname, '../../infra/k8s');
  const paths: any[] = fs
    .readdirSync(k8s)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(k8s, f), 'utf8')).map((d) => d.toJS()))
    .filter((o) => o?.kind === 'Ingress')
    .flatMap((i) => i.spec.rules.flatMap((r: any) => r.http.paths));
  // ingress-nginx with use-regex: every path a case-insensitive regex anchored at the start, longest first.
  const serviceFor = (p: string) =>
    [...paths].sort((a, b) => b.path.length - a.path.length).find((x) => new RegExp(`^${x.path}`, 'i').test(p))?.backend.service.name;

  it("reach query, while a post's own comments still reach comments", () => {
    expect(serviceFor('/posts/page')).toBe('query-srv');
    expect(serviceFor('/posts/comments/page')).toBe('query-srv');
    expect(serviceFor('/posts/live')).toBe('query-srv');
    expect(serviceFor('/posts/5f2c9a/comments')).toBe('comments-srv');
    expect(serviceFor('/posts/live/comments')).toBe('comments-srv'); // a post whose id were "live" keeps its comments
  });
});
