import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import pino from 'pino';
import request from 'supertest';
import { LONGEST_COMMENT } from '@posts/contracts';
import { gc } from '@posts/contracts/testing';
import { homes, type TestDatabase } from '@posts/db/testing';
import { allPostsJson } from '../src/store';
import { eachDatabase, events, fedQuery, rawGet, serving, type FedQuery } from './support';

/** A model with several posts, one without comments, an updated comment and text JSON must escape. */
async function severalPosts(q: FedQuery) {
  await q.post('p1', 'First "quoted" post');
  await q.post('p2', 'Ünïcödé ✓ and a \\ backslash');
  await q.post('p3', 'No comments yet');
  await q.comment('p1', 'c1', 'Great post!', 'pending');
  await q.comment('p2', 'c2', 'line one\nline two', 'approved');
  await q.comment('p1', 'c3', 'Orange!', 'pending');
  await q.other();
  await q.update('c3', 'Orange!', 'rejected');
  await q.comment('nope', 'c4'); // on a post it has not heard of: ignored, as before
  await q.comment('p1', 'c5', '😀 emoji </script>', 'approved');
  const expected = {
    p1: {
      id: 'p1',
      title: 'First "quoted" post',
      comments: [
        { id: 'c1', content: 'Great post!', status: 'pending' },
        { id: 'c3', content: 'Orange!', status: 'rejected' },
        { id: 'c5', content: '😀 emoji </script>', status: 'approved' },
      ],
    },
    p2: { id: 'p2', title: 'Ünïcödé ✓ and a \\ backslash', comments: [{ id: 'c2', content: 'line one\nline two', status: 'approved' }] },
    p3: { id: 'p3', title: 'No comments yet', comments: [] },
  };
  return { ...q, expected };
}

describe.each(homes)('GET /posts, streamed, %s', (_home, makeDatabase) => {
  const db = eachDatabase(makeDatabase);

  it('sends what it always has: the whole model as one JSON object keyed by post id, byte for byte as JSON.stringify wrote it', async () => {
    const q = await severalPosts(await db.fedQuery());
    const res = await serving(q.app, (url) => rawGet(`${url}/posts`));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(res.body.toString('utf8')).toBe(JSON.stringify(q.expected));
    expect((await request(q.app).get('/posts')).body).toEqual(q.expected);
    expect(
      (
        await request((await db.fedQuery()).app)
          .get('/posts')
          .set('accept-encoding', 'identity')
      ).text,
    ).toBe('{}');
  });

  it('is gzipped when the client accepts gzip, and not otherwise', async () => {
    const q = await severalPosts(await db.fedQuery());
    const json = JSON.stringify(q.expected);
    await serving(q.app, async (url) => {
      for (const accept of ['gzip', 'gzip, deflate, br', 'br;q=1.0, gzip;q=0.8, *;q=0.1']) {
        const res = await rawGet(`${url}/posts`, { 'accept-encoding': accept });
        expect([accept, res.headers['content-encoding'], res.headers.vary]).toEqual([accept, 'gzip', 'accept-encoding']);
        expect(gunzipSync(res.body).toString('utf8')).toBe(json);
      }
      for (const accept of [undefined, 'identity', 'br', 'gzip;q=0']) {
        const res = await rawGet(`${url}/posts`, accept === undefined ? {} : { 'accept-encoding': accept });
        expect([accept, res.headers['content-encoding']]).toEqual([accept, undefined]);
        expect(res.body.toString('utf8')).toBe(json);
      }
    });
  });

  it('still answers 304 for the version the client has, gzipped or not, and 200 once the model changes', async () => {
    const q = await severalPosts(await db.fedQuery());
    const first = await request(q.app).get('/posts');
    const etag = first.headers.etag;
    expect(etag).toMatch(/^W\/"\d+"$/);
    expect(first.headers['cache-control']).toBe('no-cache');
    for (const encoding of ['gzip', 'identity']) {
      const again = await request(q.app).get('/posts').set('if-none-match', etag).set('accept-encoding', encoding);
      expect([again.status, again.text, again.headers.etag]).toEqual([304, '', etag]);
    }
    await q.update('c1', 'Great post!', 'approved');
    const changed = await request(q.app).get('/posts').set('if-none-match', etag);
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(changed.body.p1.comments[0].status).toBe('approved');
    const head = await request(q.app).head('/posts');
    expect([head.status, head.headers.etag, head.text]).toEqual([200, changed.headers.etag, undefined]);
  });

  it('holds the posts and comments there were when it was asked for, whatever arrives while it is read', async () => {
    const q = await severalPosts(await db.fedQuery());
    const chunks = allPostsJson(q.model.db, q.model.seq);
    let body = (await chunks.next()).value as string;
    await q.comment('p1', 'late-comment');
    await q.post('late-post');
    await q.comment('late-post', 'late-on-late');
    for await (const chunk of chunks) body += chunk;
    expect(JSON.parse(body)).toEqual(q.expected);
  });

  it('lets a client leave mid-body without an error, and serves the next one', async () => {
    const errors: string[] = [];
    const q = await db.fedQuery({ logger: pino({ level: 'error' }, { write: (line: string) => void errors.push(line) }) });
    // A body larger than what the sockets buffer (a few MB on loopback), so the client leaves while it is still being made:
    // 20 MB in comments of the longest kind, so the database takes few of them.
    for (let p = 0; p < 5; p++) {
      await q.feed(events.post(`p${p}`), ...Array.from({ length: 4000 }, (_, i) => events.comment(`p${p}`, `c${p}-${i}`, 'x'.repeat(LONGEST_COMMENT))));
    }
    await serving(q.app, async (url) => {
      await new Promise<void>((resolve) => {
        const req = http.get(`${url}/posts`, (res) => res.once('data', () => resolve(void req.destroy())));
      });
      const next = await rawGet(`${url}/posts`);
      expect(JSON.parse(next.body.toString('utf8')).p4.comments).toHaveLength(4000);
    });
    expect(errors).toEqual([]);
  }, 60_000);
});

describe.each(homes)('GET /posts with a large model (100,000 comments in 20 posts), %s', (_home, makeDatabase) => {
  let database: TestDatabase;
  let q: FedQuery;
  let bodyBytes = 0;
  beforeAll(async () => {
    database = await makeDatabase();
    q = await fedQuery(database.settings);
    const content = 'A comment long enough to make the body large. '.repeat(10);
    for (let p = 0; p < 20; p++) {
      await q.feed(events.post(`post-${p}`), ...Array.from({ length: 5000 }, (_, i) => events.comment(`post-${p}`, `comment-${p}-${i}`, content)));
    }
    // The body as it would be built whole: measured once, then dropped.
    for await (const chunk of allPostsJson(q.model.db, q.model.seq)) bodyBytes += Buffer.byteLength(chunk);
  }, 120_000);
  afterAll(async () => {
    await q?.close();
    await database?.drop();
  });

  it.each(['identity', 'gzip'])(
    'grows the heap by far less than the body while streaming it (%s)',
    async (encoding) => {
      expect(bodyBytes).toBeGreaterThan(50e6);
      await serving(q.app, async (url) => {
        gc();
        const baseline = process.memoryUsage().heapUsed;
        let peak = baseline;
        let chunks = 0;
        let received = 0;
        // A full gc before each sample (the first chunk, then every 16th): what the heap holds, not garbage not yet collected.
        const res = await rawGet(`${url}/posts`, { 'accept-encoding': encoding }, (chunk) => {
          received += chunk.length;
          if (chunks++ % 16 !== 0) return;
          gc();
          peak = Math.max(peak, process.memoryUsage().heapUsed);
        });
        expect(res.headers['content-encoding']).toBe(encoding === 'gzip' ? 'gzip' : undefined);
        if (encoding === 'identity') expect(received).toBe(bodyBytes);
        expect(chunks).toBeGreaterThan(1);
        expect(peak - baseline).toBeLessThan(bodyBytes / 4); // a body built whole would add all of itself (~52 MB here); streamed, well under 1 MB
      });
    },
    120_000,
  );
});
