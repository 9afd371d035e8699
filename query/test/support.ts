import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CommentStatus } from '@posts/contracts';
import { createServiceApp } from '@posts/kit';
import type { Express } from 'express';
import pino from 'pino';
import { createLive, type LiveOptions } from '../src/live';
import { queryRoutes } from '../src/routes';
import { createStore } from '../src/store';

export const logger = pino({ level: 'silent' });

/** The query app over a store fed directly, as the subscriber would: every event takes the log's next seq. */
export function fedQuery(log = logger, liveOptions?: LiveOptions) {
  const live = createLive(liveOptions);
  const store = createStore(live.publish);
  let seq = 0;
  return {
    store,
    live,
    app: createServiceApp({ logger: log, isReady: () => true, routes: [queryRoutes(store, live)] }),
    post: (id: string, title = `Title of ${id}`) => store.addPost(id, title, ++seq),
    comment: (postId: string, id: string, content = `Content of ${id}`, status: CommentStatus = 'approved') =>
      store.addComment(postId, { id, content, status }, ++seq),
    update: (id: string, content: string, status: CommentStatus) => store.updateComment(id, content, status, ++seq),
    /** Another event in the log (a moderation verdict, an unknown type): it takes a seq too. */
    other: () => ++seq,
  };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Serves `app` on a free local port for the length of `use`. */
export async function serving<T>(app: Express, use: (url: string) => Promise<T>): Promise<T> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await use(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** A GET whose body is handed to `onData` as it arrives (kept whole only when there is no `onData`): the bytes as sent, never decoded. */
export function rawGet(url: string, headers: http.OutgoingHttpHeaders = {}, onData?: (chunk: Buffer) => void): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => (onData ? onData(chunk) : chunks.push(chunk)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** One server-sent event as a client parses it; a `: comment` line is `{ comment }`. */
export interface Sse {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** An open event stream: the bytes so far, as text and as events, until `close()`. */
export interface OpenStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: () => string;
  events: () => Sse[];
  /** Resolves once `count` events (comments included) have come. */
  next: (count: number) => Promise<Sse[]>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close: () => void;
}

/** Parses one event block (without its blank line) as the EventSource spec does, keeping a comment. */
function parseEvent(block: string): Sse {
  const event: Sse = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) event.comment = line.slice(1).trim();
    else {
      const colon = line.indexOf(':');
      event[line.slice(0, colon) as 'id' | 'event' | 'data'] = line.slice(colon + 2);
    }
  }
  return event;
}

export function openStream(url: string, headers: http.OutgoingHttpHeaders = {}): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      let text = '';
      let pending = '';
      const events: Sse[] = [];
      let closed = false;
      res.setEncoding('utf8');
      // Parsed as it comes, so a long stream costs the test no more than its length.
      res.on('data', (chunk: string) => {
        text += chunk;
        const blocks = (pending + chunk).split('\n\n');
        pending = blocks.pop()!;
        for (const block of blocks) events.push(parseEvent(block));
      });
      res.on('error', () => undefined); // our own close() aborts it
      const ended = new Promise<void>((done) => res.on('close', () => done(void (closed = true))));
      const next = (count: number) =>
        new Promise<Sse[]>((done, fail) => {
          const check = () => {
            if (events.length < count && !closed) return;
            res.off('data', check).off('close', check);
            if (events.length >= count) done(events.slice(0, count));
            else fail(new Error(`the stream ended after ${events.length} events, the last: ${JSON.stringify(events.at(-1))}`));
          };
          res.on('data', check).on('close', check);
          check();
        });
      resolve({ status: res.statusCode ?? 0, headers: res.headers, text: () => text, events: () => events, next, ended, close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}
