/** Catch-up: query timed from spawn to ready on a log written straight to the bus's file, as after a restart of the whole system. */
import { randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { CommentCreated, CommentModerated, CommentUpdated, PostCreated, type Comment, type EventContract } from '@posts/contracts';
import { freePorts } from '@posts/runtime';
import { httpGet, memoryMB, startService } from './processes';

export interface CatchUpResult {
  events: number;
  posts: number;
  comments: number;
  logMB: number;
  /** bus spawn → /readyz 200 (reads the file back) */
  busReadySeconds: number;
  /** query spawn → /readyz 200 */
  readySeconds: number;
  firstGetPostsMs: number;
  getPostsMB: number;
  rssMB: { bus: number; query: number };
  peakRssMB: { bus: number; query: number };
}

/** How long the bus and query may take to read a log back and answer /readyz. */
const READY_TIMEOUT_MS = 60_000;

/** One event as the log holds it. */
export type Envelope = { id: string; seq: number; type: string; data: unknown; at: string; requestId: string };

/** A blog's log: `posts` posts, then each comment's three events, moderation `lag` comments behind as under load; every fifth rejected. */
export function* blogEvents(posts: number, comments: number, lag = 0): Generator<Envelope> {
  let seq = 0;
  const at = new Date().toISOString();
  // The envelope the bus writes, with the id the event's contract gives it.
  const envelope = <D>(event: EventContract<string, D>, data: D) => ({ id: event.idOf(data), seq: ++seq, type: event.type, data, at, requestId: randomUUID() });
  const postIds = Array.from({ length: posts }, () => randomUUID());
  for (const [i, id] of postIds.entries()) yield envelope(PostCreated, { id, title: `Post number ${i + 1}` });
  const made: Comment[] = [];
  const follow = (c: Comment) => [envelope(CommentModerated, c), envelope(CommentUpdated, c)];
  for (let i = 0; i < comments; i++) {
    const rejected = (i + 1) % 5 === 0;
    const content = `comment ${i}: ${rejected ? 'I like orange juice' : 'great post'}, ${'and more words '.repeat(i % 6)}`.trim();
    const c: Comment = { id: randomUUID(), postId: postIds[i % posts], content, status: rejected ? 'rejected' : 'approved' };
    yield envelope(CommentCreated, { ...c, status: 'pending' });
    made.push(c);
    if (made.length > lag) yield* follow(made.shift()!);
  }
  for (const c of made) yield* follow(c);
}

export const blogLog = (posts: number, comments: number, lag = 0): Envelope[] => [...blogEvents(posts, comments, lag)];

/** `envelopes` as the bus's file, written a megabyte at a time (a log of millions of events is never whole in memory); its events and bytes. */
export function writeEnvelopes(file: string, envelopes: Iterable<Envelope>): { events: number; bytes: number } {
  const fd = openSync(file, 'w');
  let events = 0;
  let bytes = 0;
  let chunk = '';
  const flush = () => {
    bytes += writeSync(fd, chunk);
    chunk = '';
  };
  try {
    for (const e of envelopes) {
      chunk += JSON.stringify(e) + '\n';
      events++;
      if (chunk.length > 1 << 20) flush();
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return { events, bytes };
}

/** Exactly `events` events: a post per hundred, the comments in between, and a few more posts for what the rounding left. */
export function logEvents(events: number): { envelopes: Envelope[]; posts: number; comments: number } {
  const comments = Math.floor((events - Math.max(1, Math.round(events / 100))) / 3);
  const posts = events - comments * 3;
  // The extra posts come first here: a catch-up replays them all the same.
  return { envelopes: blogLog(posts, comments, 8), posts, comments };
}

export function writeLog(file: string, events: number): { posts: number; comments: number; bytes: number } {
  const { envelopes, posts, comments } = logEvents(events);
  return { posts, comments, bytes: writeEnvelopes(file, envelopes).bytes };
}

/** query alone on the log at `busUrl`, timed to ready and to its first GET /posts; then its memory and the log holder's. */
export async function timeQuery(port: number, busUrl: string, holderPid: number | undefined) {
  let t = performance.now();
  const query = await startService('query', port, { EVENT_BUS_URL: busUrl }, READY_TIMEOUT_MS);
  try {
    const readySeconds = Math.round((performance.now() - t) / 10) / 100;
    t = performance.now();
    const page = await httpGet(port, '/posts', 30_000);
    const firstGetPostsMs = Math.round(performance.now() - t);
    if (page.status !== 200) throw new Error(`GET /posts answered ${page.status}`);
    const getPostsMB = Math.round(Buffer.byteLength(page.body) / 104857.6) / 10;
    return { readySeconds, firstGetPostsMs, getPostsMB, query: memoryMB(query.pid()), holder: memoryMB(holderPid) };
  } finally {
    await query.stop();
  }
}

export async function runCatchUpBench(o: { workDir: string; events: number }): Promise<CatchUpResult> {
  const dir = mkdtempSync(path.join(o.workDir, 'catchup-'));
  const logPath = path.join(dir, 'events.ndjson');
  const { posts, comments, bytes } = writeLog(logPath, o.events);
  // As after a restart of the whole system: the bus starts on its log with query as its subscriber.
  const [busPort, queryPort] = await freePorts(2);
  const t = performance.now();
  const bus = await startService('event-bus', busPort, { EVENT_LOG_PATH: logPath, SUBSCRIBERS: `http://127.0.0.1:${queryPort}/events` }, READY_TIMEOUT_MS);
  try {
    const busReadySeconds = Math.round((performance.now() - t) / 10) / 100;
    const { query, holder, ...timed } = await timeQuery(queryPort, `http://127.0.0.1:${busPort}`, bus.pid());
    const logMB = Math.round(bytes / 104857.6) / 10;
    const rssMB = { bus: holder.rss, query: query.rss };
    const peakRssMB = { bus: holder.peak, query: query.peak };
    return { events: o.events, posts, comments, logMB, busReadySeconds, ...timed, rssMB, peakRssMB };
  } finally {
    await bus.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
