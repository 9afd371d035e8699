/**
 * Catch-up: a log of N events written straight to a file (the format the bus keeps: one
 * envelope per line, seq 1, 2, 3 …), the bus started on it with query as its subscriber, as
 * after a restart of the whole system; then query is started and timed from spawn to its
 * first 200 on /readyz. Memory is read from /proc once query is ready and has served one
 * GET /posts.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CommentCreated, CommentModerated, CommentUpdated, PostCreated, type Comment, type EventContract } from '@posts/contracts';
import { freePorts } from '@posts/runtime';
import { httpGet, memoryMB, startService, waitFor200, type Service } from './processes';

export interface CatchUpResult {
  events: number;
  posts: number;
  comments: number;
  logMB: number;
  /** bus spawn → /readyz 200 (reads the file back) */
  busReadySeconds: number;
  /** query spawn → /readyz 200 */
  readySeconds: number;
  /** the first GET /posts after ready */
  firstGetPostsMs: number;
  getPostsMB: number;
  rssMB: { bus: number; query: number };
  peakRssMB: { bus: number; query: number };
}

/** One event as the log holds it. */
export interface Envelope {
  id: string;
  seq: number;
  type: string;
  data: unknown;
  at: string;
  requestId: string;
}

/**
 * A realistic mix of exactly `events` events: posts, and for each comment the three events it
 * causes (CommentCreated, CommentModerated, CommentUpdated), interleaved as under load; every
 * fifth comment rejected.
 */
export function logEvents(events: number): { envelopes: Envelope[]; posts: number; comments: number } {
  const posts = Math.max(1, Math.round(events / 100));
  const comments = Math.floor((events - posts) / 3);
  const envelopes: Envelope[] = [];
  const at = new Date().toISOString();
  // The envelope the bus writes, with the id the event's contract gives it.
  const push = <Data>(event: EventContract<string, Data>, data: Data) =>
    envelopes.push({ id: event.idOf(data), seq: envelopes.length + 1, type: event.type, data, at, requestId: randomUUID() });
  const postIds = Array.from({ length: posts }, () => randomUUID());
  postIds.forEach((id, i) => push(PostCreated, { id, title: `Post number ${i + 1}` }));
  // Moderation trails creation by a few comments, as it does when the system is busy.
  const lag = 8;
  const made: Comment[] = [];
  const follow = (c: Comment) => {
    push(CommentModerated, c);
    push(CommentUpdated, c);
  };
  for (let i = 0; i < comments; i++) {
    const rejected = (i + 1) % 5 === 0;
    const content = `comment ${i}: ${rejected ? 'I like orange juice' : 'great post'}, ${'and more words '.repeat(i % 6)}`.trim();
    const c: Comment = { id: randomUUID(), postId: postIds[i % posts], content, status: rejected ? 'rejected' : 'approved' };
    push(CommentCreated, { ...c, status: 'pending' });
    made.push(c);
    if (made.length > lag) follow(made.shift()!);
  }
  made.forEach(follow);
  // Whatever the rounding left: a few more posts, so the log holds exactly `events`.
  while (envelopes.length < events) {
    const id = randomUUID();
    push(PostCreated, { id, title: 'One more post' });
  }
  return { envelopes, posts: posts + (events - posts - comments * 3), comments };
}

/** logEvents(events) written to `file` as the bus keeps its log: one envelope per line. */
export function writeLog(file: string, events: number): { posts: number; comments: number; bytes: number } {
  const { envelopes, posts, comments } = logEvents(events);
  const text = envelopes.map((e) => JSON.stringify(e)).join('\n') + '\n';
  writeFileSync(file, text);
  return { posts, comments, bytes: Buffer.byteLength(text) };
}

export async function runCatchUpBench(o: { workDir: string; events: number; readyTimeoutMs: number }): Promise<CatchUpResult> {
  const dir = mkdtempSync(path.join(o.workDir, 'catchup-'));
  const logPath = path.join(dir, 'events.ndjson');
  const { posts, comments, bytes } = writeLog(logPath, o.events);
  const [busPort, queryPort] = await freePorts(2);
  const services: Service[] = [];
  try {
    let t = performance.now();
    const bus = startService('event-bus', busPort, { EVENT_LOG_PATH: logPath, SUBSCRIBERS: `http://127.0.0.1:${queryPort}/events` });
    services.push(bus);
    await waitFor200(bus, '/readyz', o.readyTimeoutMs);
    const busReadySeconds = (performance.now() - t) / 1000;

    t = performance.now();
    const query = startService('query', queryPort, { EVENT_BUS_URL: `http://127.0.0.1:${busPort}` });
    services.push(query);
    await waitFor200(query, '/readyz', o.readyTimeoutMs);
    const readySeconds = (performance.now() - t) / 1000;

    t = performance.now();
    const page = await httpGet(queryPort, '/posts', 30_000);
    const firstGetPostsMs = performance.now() - t;
    if (page.status !== 200) throw new Error(`GET /posts answered ${page.status}`);
    const busMem = memoryMB(bus.child.pid);
    const queryMem = memoryMB(query.child.pid);
    return {
      events: o.events,
      posts,
      comments,
      logMB: Math.round(bytes / 104857.6) / 10,
      busReadySeconds: Math.round(busReadySeconds * 100) / 100,
      readySeconds: Math.round(readySeconds * 100) / 100,
      firstGetPostsMs: Math.round(firstGetPostsMs),
      getPostsMB: Math.round(Buffer.byteLength(page.body) / 104857.6) / 10,
      rssMB: { bus: busMem.rss, query: queryMem.rss },
      peakRssMB: { bus: busMem.peak, query: queryMem.peak },
    };
  } finally {
    for (const s of services.reverse()) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
