import { homes } from '@posts/db/testing';
import request from 'supertest';
import type { Change } from '../src/live';
import { allPostsJson, commentsPage, postsPage } from '../src/store';
import { eachDatabase, events, openStream, serving, type FedQuery } from './support';

/** The changes `q` sends to its live stream from now on. */
const publishedBy = (q: FedQuery): (() => Change[]) => {
  const publish = jest.spyOn(q.live, 'publish');
  return () => publish.mock.calls.map(([change]) => change);
};

/** What a reader can get of the model: its pages, the course's whole body and its etag. */
async function answers(q: FedQuery) {
  const get = async (path: string) => {
    const res = await request(q.app).get(path).set('accept-encoding', 'identity');
    return { status: res.status, etag: res.headers.etag, text: res.text };
  };
  const first = await get('/posts/page?limit=2');
  const next = JSON.parse(first.text).next;
  return [first, await get(`/posts/page?limit=2&cursor=${next}`), await get('/posts/comments/page?post=p1&limit=2'), await get('/posts')];
}

describe.each(homes)('the read model, %s', (_home, makeDatabase) => {
  const db = eachDatabase(makeDatabase);

  it('shows readers only id, content and status of a comment, and tells the live stream its post', async () => {
    const q = await db.fedQuery();
    const published = publishedBy(q);
    await q.post('p1', 'T');
    await q.comment('p1', 'c1', 'hello', 'pending');
    await q.comment('p1', 'c2', 'world', 'pending');
    await q.update('c1', 'hello', 'approved');
    const views = [
      { id: 'c1', content: 'hello', status: 'approved' },
      { id: 'c2', content: 'world', status: 'pending' },
    ];
    let body = '';
    for await (const chunk of allPostsJson(q.model.db, q.model.seq)) body += chunk;
    expect(JSON.parse(body)).toEqual({ p1: { id: 'p1', title: 'T', comments: views } });
    expect(await commentsPage(q.model.db, 'p1', 10)).toEqual({ items: views, nextBefore: null, seq: 4 });
    const page = await postsPage(q.model.db, 10);
    expect(page.items).toEqual([{ id: 'p1', title: 'T', commentCount: 2, comments: views, olderBefore: null }]);
    for (const items of [(await commentsPage(q.model.db, 'p1', 10))!.items, page.items[0].comments]) {
      expect(items.map((c) => Object.keys(c))).toEqual([
        ['id', 'content', 'status'],
        ['id', 'content', 'status'],
      ]);
    }
    expect(published().slice(1)).toEqual([
      { seq: 2, event: 'comment', data: { postId: 'p1', id: 'c1', content: 'hello', status: 'pending' } },
      { seq: 3, event: 'comment', data: { postId: 'p1', id: 'c2', content: 'world', status: 'pending' } },
      { seq: 4, event: 'comment-status', data: { postId: 'p1', id: 'c1', content: 'hello', status: 'approved' } },
    ]);
  });

  it('applies a delivery in one transaction: each change is sent once it committed, in seq order, and none an ignored event made', async () => {
    const q = await db.fedQuery();
    const published = publishedBy(q);
    await q.feed(events.post('p1'), events.comment('p1', 'c1'), events.comment('nope', 'c2'), events.post('p1', 'again'), events.comment('p1', 'c1', 'again'));
    await q.feed(events.update('c9', 'no such comment', 'approved'), events.other());
    expect(published().map((c) => `${c.seq} ${c.event}`)).toEqual(['1 post', '2 comment']);
    expect([q.model.seq, q.subscriber.lastSeq]).toEqual([2, 7]);
    expect((await postsPage(q.model.db, 10)).items).toEqual([
      { id: 'p1', title: 'Title of p1', commentCount: 1, comments: [{ id: 'c1', content: 'Content of c1', status: 'approved' }], olderBefore: null },
    ]);
  });

  it('sends no change of a transaction that failed, and the changes once it is applied again', async () => {
    let failing = true;
    const q = await db.fedQuery({
      state: (projection) => ({
        ...projection.state,
        // The checkpoint's statement failing, as a database that went away would: the whole transaction rolls back.
        transaction: (to, work) =>
          projection.state.transaction(to, async (tx) => {
            await work(tx);
            if (failing) throw new Error('the database went away');
          }),
      }),
    });
    const published = publishedBy(q);
    await serving(q.app, async (url) => {
      const stream = await openStream(`${url}/posts/live`);
      await stream.next(1);
      await expect(q.post('p1')).rejects.toThrow('the database went away');
      await expect(q.comment('p1', 'c1')).rejects.toThrow('the database went away');
      expect(published()).toEqual([]);
      expect([q.model.seq, q.subscriber.lastSeq]).toEqual([0, 0]);
      expect((await request(q.app).get('/posts/page')).body).toEqual({ posts: [], next: null, seq: 0 });
      failing = false;
      await q.subscriber.catchUp();
      await stream.next(3);
      expect(stream.text()).toBe(
        'id: 0\nevent: start\ndata: {"seq":0}\n\n' +
          'id: 1\nevent: post\ndata: {"id":"p1","title":"Title of p1"}\n\n' +
          'id: 2\nevent: comment\ndata: {"postId":"p1","id":"c1","content":"Content of c1","status":"approved"}\n\n',
      );
      expect((await request(q.app).get('/posts/page')).body.seq).toBe(2);
      expect(published().map((c) => c.seq)).toEqual([1, 2]);
      stream.close();
    });
  });

  it('resumes at its checkpoint after a restart: the same pages and the same GET /posts, without applying the old events again', async () => {
    const q = await db.fedQuery();
    await q.feed(events.post('p1'), events.post('p2'), events.post('p3'));
    await q.feed(...['c1', 'c2', 'c3', 'c4'].map((id) => events.comment('p1', id)), events.update('c2', 'Edited', 'rejected'), events.other());
    const before = await answers(q);
    expect(before.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    await q.close();

    const restarted = await db.fedQuery({ log: q.log });
    const applied = jest.spyOn(restarted.subscriber as unknown as { apply: () => Promise<boolean> }, 'apply');
    await restarted.subscriber.catchUp();
    expect(applied).not.toHaveBeenCalled();
    expect([restarted.subscriber.lastSeq, restarted.model.seq]).toEqual([9, 8]);
    expect(await answers(restarted)).toEqual(before);
    expect(before[3].etag).toBe('W/"8"');

    await serving(restarted.app, async (url) => {
      // The changes before the restart are not in this process's stream: a client behind them reloads, one at them goes on.
      const behind = await openStream(`${url}/posts/live`, { 'last-event-id': '7' });
      const at = await openStream(`${url}/posts/live`, { 'last-event-id': '8' });
      await Promise.all([behind.next(1), at.next(1)]);
      await restarted.post('p4');
      expect(applied).toHaveBeenCalledTimes(1);
      await Promise.all([behind.next(2), at.next(2)]);
      expect(behind.events().map((e) => `${e.event}:${e.id}`)).toEqual(['reset:8', 'post:10']);
      expect(at.events().map((e) => `${e.event}:${e.id}`)).toEqual(['start:8', 'post:10']);
      [behind, at].forEach((s) => s.close());
    });
  });
});
