import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { HttpError, z } from '@posts/kit';
import express, { type Router } from 'express';
import { decodeCursor, type CursorKind } from './cursor';
import { COMMENTS_LIMIT, FirstPage, nextCursor, POSTS_LIMIT, postsPageJson } from './pages';
import type { Live } from './live';
import type { ReadModel } from './model';
import { allPostsJson, commentsPage } from './store';

const limit = ({ byDefault, max }: typeof POSTS_LIMIT) =>
  z
    .string()
    .regex(/^[0-9]{1,6}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(1, 'must be at least 1').max(max, `must be at most ${max}`))
    .default(byDefault);

const cursor = (kind: CursorKind) =>
  z
    .string()
    .transform((s, ctx) => decodeCursor(kind, s) ?? (ctx.addIssue({ code: 'custom', message: `is not a ${kind} cursor from this service` }), z.NEVER))
    .optional();

const postsPageQuery = z.object({ limit: limit(POSTS_LIMIT), cursor: cursor('post') });
const commentsPageQuery = z.object({ post: z.string().min(1).max(200), limit: limit(COMMENTS_LIMIT), cursor: cursor('comment') });

// A log seq as an SSE id: what this service sent, or 0 for "before the first change".
const seq = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,15})$/, 'must be an event id from this service')
  .transform(Number)
  .pipe(z.number().max(Number.MAX_SAFE_INTEGER, 'must be an event id from this service'));
const liveQuery = z.object({ since: seq.optional() });

/** Query's reads: the whole model, pages of posts and of comments, and the live stream. */
export function queryRoutes(model: Pick<ReadModel, 'db' | 'seq'>, live: Live): Router {
  const router = express.Router();
  const firstPage = new FirstPage(model);

  // The course's read: the whole model, streamed a piece at a time (never the whole body in memory), gzipped when asked.
  router.get('/posts', (req, res, next) => {
    const { seq } = model; // the version it sends: a change's seq, the same on every replica
    const etag = `W/"${seq}"`;
    res.setHeader('etag', etag);
    res.setHeader('cache-control', 'no-cache'); // keep asking, but a 304 is enough when nothing changed
    res.setHeader('vary', 'accept-encoding');
    if (req.headers['if-none-match'] === etag) return void res.status(304).end();
    res.type('application/json');
    if (req.method === 'HEAD') return void res.end();
    const body = Readable.from(allPostsJson(model.db, seq)); // the posts and comments up to the etag's seq
    const gzip = req.acceptsEncodings('gzip', 'identity') === 'gzip';
    if (gzip) res.setHeader('content-encoding', 'gzip');
    const sent = gzip ? pipeline(body, createGzip(), res) : pipeline(body, res);
    sent.catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ERR_STREAM_PREMATURE_CLOSE') next(err); // a client that left mid-body: no one to answer
    });
  });

  // Posts newest first, a page at a time (see postsPageJson); the first page as kept.
  router.get('/posts/page', async (req, res) => {
    const query = postsPageQuery.parse(req.query);
    const body = await (query.cursor === undefined ? firstPage.json(query.limit) : postsPageJson(model.db, query.limit, query.cursor));
    res.set('content-type', 'application/json; charset=utf-8').send(body);
  });

  // A post's comments older than a cursor (its newest without one), in log order: `{comments, next, seq}`, `seq` as on a page of posts.
  router.get('/posts/comments/page', async (req, res) => {
    const query = commentsPageQuery.parse(req.query);
    const page = await commentsPage(model.db, query.post, query.limit, query.cursor);
    if (!page) throw new HttpError(404, 'not_found', `No post ${query.post}.`);
    res.json({ comments: page.items, next: nextCursor('comment', page), seq: page.seq });
  });

  // Changes as server-sent events (post, comment, comment-status), each with its log seq as id. Resumes after
  // `Last-Event-ID` (or `?since=`, for EventSource polyfills that cannot set it; the header wins, as a browser's
  // reconnect keeps the URL). A new page: open this first, load the page once `start` came, apply both by id.
  router.get('/posts/live', (req, res) => {
    const { since } = liveQuery.parse({ since: req.get('last-event-id') ?? req.query.since });
    live.stream(res, since);
  });

  return router;
}
