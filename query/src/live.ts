// Live updates as server-sent events: every change the read model applies, with its log seq as the event id,
// so a client that reconnects with Last-Event-ID resumes right after the last change it had, on either replica.
import type { ServerResponse } from 'node:http';
import type { CommentStatus } from '@posts/contracts';

/** A change the read model applied, as the page needs it: `comment` and `comment-status` carry the whole comment. */
export type Change =
  | { seq: number; event: 'post'; data: { id: string; title: string } }
  | { seq: number; event: 'comment' | 'comment-status'; data: { postId: string; id: string; content: string; status: CommentStatus } };

export interface LiveOptions {
  /** How many recent changes a reconnecting client can resume from; an older Last-Event-ID gets `reset`. */
  capacity?: number;
  /** Between `: ping` comments, which keep proxies from closing a quiet stream; a client still blocked a whole interval later is closed. */
  heartbeatMs?: number;
}

interface Frame {
  change: Change;
  /** The event as sent: made when first sent (not for every change of a catch-up), then written to every client as it is. */
  text?: string;
}

interface Client {
  res: ServerResponse;
  /** The seq of the last change it was sent (or told it has). */
  cursor: number;
  /** Its socket buffer is full: nothing more is written until it drains. */
  blocked: boolean;
  /** Blocked at the last heartbeat too. */
  stalled: boolean;
}

const frame = (seq: number, event: string, data: unknown) => `id: ${seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
const textOf = (f: Frame) => (f.text ??= frame(f.change.seq, f.change.event, f.change.data));

export function createLive({ capacity = 10_000, heartbeatMs = 15_000 }: LiveOptions = {}) {
  // The recent changes, oldest first, in a fixed ring: `size` of them from index `first`.
  const ring: Frame[] = new Array<Frame>(capacity);
  let first = 0;
  let size = 0;
  /** The newest change's seq: every change up to it is in the read model. */
  let head = 0;
  /** The newest change that fell out of the ring: a client before it may have missed it. */
  let evictedUpTo = 0;
  const clients = new Set<Client>();
  let heartbeat: NodeJS.Timeout | undefined;
  let closed = false;

  const at = (i: number) => ring[(first + i) % capacity];

  /** The ring index of the first change after `seq`; the newest is checked first, as a caught-up client needs only it. */
  function indexAfter(seq: number): number {
    if (size === 0 || at(size - 1).change.seq <= seq) return size;
    if (size === 1 || at(size - 2).change.seq <= seq) return size - 1;
    let lo = 0;
    let hi = size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (at(mid).change.seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Writes what the client has not had yet, until its socket buffer is full (it goes on at 'drain'). */
  function pump(client: Client): void {
    if (client.blocked) return;
    if (client.cursor < evictedUpTo) {
      // Changes it missed are gone from the ring: it must reload the page, then goes on from the head.
      client.cursor = head;
      if (!client.res.write(frame(head, 'reset', { seq: head }))) return void (client.blocked = true);
    }
    for (let i = indexAfter(client.cursor); i < size; i++) {
      client.cursor = at(i).change.seq;
      if (!client.res.write(textOf(at(i)))) return void (client.blocked = true);
    }
  }

  /** Forgets a client at once (its 'close' comes later): nothing is written to it again. */
  function drop(client: Client): void {
    clients.delete(client);
    if (clients.size === 0) {
      clearInterval(heartbeat);
      heartbeat = undefined;
    }
  }

  function tick(): void {
    for (const client of clients) {
      // A socket that did not drain for a whole interval: drop it, it reconnects with its Last-Event-ID.
      if (client.blocked && client.stalled) {
        drop(client);
        client.res.destroy();
      } else if (client.blocked) client.stalled = true;
      else client.blocked = !client.res.write(': ping\n\n');
    }
  }

  return {
    /** Called by the read model for each change it applied, in seq order. */
    publish(change: Change): void {
      if (size === capacity) {
        evictedUpTo = ring[first].change.seq;
        ring[first] = { change };
        first = (first + 1) % capacity;
      } else ring[(first + size++) % capacity] = { change };
      head = change.seq;
      for (const client of clients) pump(client);
    },

    /**
     * Streams changes after `since` (a Last-Event-ID), or from now without one: first a `start` event (or a `reset`
     * when `since` is older than the ring) whose id is where the stream begins, so the client has an id to resume from.
     */
    stream(res: ServerResponse, since?: number): void {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform', // no-transform: a compressing proxy would hold events back
        'x-accel-buffering': 'no', // nginx passes each event on at once, whatever its proxy-buffering
      });
      if (closed) return void res.end(); // shutting down: the client reconnects, to another replica
      if (res.req.method === 'HEAD') return void res.end();
      const client: Client = { res, cursor: since ?? head, blocked: false, stalled: false };
      if (client.cursor >= evictedUpTo) client.blocked = !res.write(frame(client.cursor, 'start', { seq: client.cursor }));
      clients.add(client);
      heartbeat ??= setInterval(tick, heartbeatMs).unref();
      res.on('drain', () => {
        client.blocked = client.stalled = false;
        if (clients.has(client)) pump(client);
      });
      res.on('close', () => drop(client));
      pump(client);
    },

    /** Ends every stream, and any opened later at once: an open stream would hold the server's shutdown. */
    close(): void {
      closed = true;
      for (const client of clients) {
        drop(client);
        // One that cannot take more would not finish ending either.
        if (client.blocked) client.res.destroy();
        else client.res.end();
      }
    },

    /** Open streams, for tests and metrics. */
    get clients(): number {
      return clients.size;
    },
  };
}

export type Live = ReturnType<typeof createLive>;
