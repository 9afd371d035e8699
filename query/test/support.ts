import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Bus, MemoryTransport, type NewEvent } from '@posts/bus-client';
import type { CommentStatus } from '@posts/contracts';
import { openProjection, type DatabaseSettings, type Projection } from '@posts/db';
import type { TestDatabase } from '@posts/db/testing';
import { createServiceApp } from '@posts/kit';
import type { Express } from 'express';
import pino from 'pino';
import { handlers } from '../src/events';
import { createLive, type LiveOptions } from '../src/live';
import { migrations } from '../src/migrations';
import { readModel } from '../src/model';
import { queryRoutes } from '../src/routes';
import type { Schema } from '../src/schema';

export const logger = pino({ level: 'silent' });

/** The events query applies, as a service publishes them (without ids: the log takes each, even a repeated one). */
export const events = {
  post: (id: string, title = `Title of ${id}`): NewEvent => ({ type: 'PostCreated', data: { id, title } }),
  comment: (postId: string, id: string, content = `Content of ${id}`, status: CommentStatus = 'approved'): NewEvent => ({
    type: 'CommentCreated',
    data: { postId, id, content, status },
  }),
  update: (id: string, content: string, status: CommentStatus, postId = 'any'): NewEvent => ({ type: 'CommentUpdated', data: { postId, id, content, status } }),
  /** Another event in the log (a moderation verdict, an unknown type): it takes a seq too. */
  other: (): NewEvent => ({ type: 'SomethingElse', data: {} }),
};

export interface FedQueryOptions {
  logger?: pino.Logger;
  live?: LiveOptions;
  /** The log to apply: another query's, to start again where it stopped. */
  log?: MemoryTransport;
  /** Where the projection's state is kept: the database's own, or one a test makes fail. */
  state?: (projection: Projection<Schema>) => Projection<Schema>['state'];
}

/**
 * The query app over a database of its own, fed from a log in memory by the subscriber: each call appends its
 * events (each takes the log's next seq) and resolves once they are applied and committed.
 */
export async function fedQuery(settings: DatabaseSettings, options: FedQueryOptions = {}) {
  const projection = openProjection<Schema>(settings, { migrations });
  await projection.migrate();
  const live = createLive(options.live);
  const model = readModel({ ...projection, state: options.state?.(projection) ?? projection.state }, live);
  const log = options.log ?? new MemoryTransport();
  const subscriber = new Bus(log, { logger }).subscribe({ handlers: handlers(model), state: model.state, logger });
  const feed = async (...more: NewEvent[]) => {
    await log.append(more);
    await subscriber.catchUp();
  };
  return {
    model,
    live,
    log,
    subscriber,
    app: createServiceApp({ logger: options.logger ?? logger, isReady: () => true, routes: [queryRoutes(model, live)] }),
    feed,
    post: (id: string, title?: string) => feed(events.post(id, title)),
    comment: (postId: string, id: string, content?: string, status?: CommentStatus) => feed(events.comment(postId, id, content, status)),
    update: (id: string, content: string, status: CommentStatus) => feed(events.update(id, content, status)),
    other: () => feed(events.other()),
    close: () => projection.close(),
  };
}

export type FedQuery = Awaited<ReturnType<typeof fedQuery>>;

/**
 * For a `describe.each(homes)`: a fresh database for each test, and `fedQuery` on it; what was opened is closed
 * and the database dropped after the test.
 */
export function eachDatabase(makeDatabase: () => Promise<TestDatabase>) {
  let database: TestDatabase | undefined;
  const opened: FedQuery[] = [];
  beforeEach(async () => (database = await makeDatabase()));
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((q) => q.close()));
    await database?.drop();
  });
  return {
    get settings(): DatabaseSettings {
      return database!.settings;
    },
    async fedQuery(options?: FedQueryOptions): Promise<FedQuery> {
      const q = await fedQuery(database!.settings, options);
      opened.push(q);
      return q;
    },
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
