import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CommentStatus } from '@posts/contracts';
import { createServiceApp } from '@posts/kit';
import type { Express } from 'express';
import pino from 'pino';
import { queryRoutes } from '../src/routes';
import { createStore } from '../src/store';

export const logger = pino({ level: 'silent' });

/** The query app over a store fed directly, as the subscriber would: every event takes the log's next seq. */
export function fedQuery(log = logger) {
  const store = createStore();
  let seq = 0;
  return {
    store,
    app: createServiceApp({ logger: log, isReady: () => true, routes: [queryRoutes(store)] }),
    post: (id: string, title = `Title of ${id}`) => store.addPost(id, title, ++seq),
    comment: (postId: string, id: string, content = `Content of ${id}`, status: CommentStatus = 'approved') =>
      store.addComment(postId, { id, content, status }, ++seq),
    update: (id: string, content: string, status: CommentStatus) => (++seq, store.updateComment(id, content, status)),
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
