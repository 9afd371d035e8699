// Live updates as server-sent events: every change the read model applies, with its log seq as the event id,
// so a client that reconnects with Last-Event-ID resumes right after the last change it had, on either replica.
import type { ServerResponse } from 'node:http';
import type { CommentStatus } from '@posts/contracts';
import { sseFrame, sseStreams, type SseReader } from '@posts/kit';

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

/** Where a client is: the seq of the last change it was sent (or told it has). */
interface Client {
  cursor: number;
}

const textOf = (f: Frame) => (f.text ??= sseFrame(f.change.event, f.change.data, f.change.seq));

export function createLive({ capacity = 10_000, heartbeatMs = 15_000 }: LiveOptions = {}) {
  // The recent changes, oldest first, in a fixed ring: `size` of them from index `first`.
  const ring: Frame[] = new Array<Frame>(capacity);
  let first = 0;
  let size = 0;
  /** The newest change's seq: every change up to it is in the read model. */
  let head = 0;
  /** The newest change that fell out of the ring: a client before it may have missed it. */
  let evictedUpTo = 0;

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
  function pump(reader: SseReader<Client>): void {
    const client = reader.state;
    if (client.cursor < evictedUpTo) {
      // Changes it missed are gone from the ring: it must reload the page, then goes on from the head.
      client.cursor = head;
      if (!reader.write(sseFrame('reset', { seq: head }, head))) return;
    }
    for (let i = indexAfter(client.cursor); i < size; i++) {
      client.cursor = at(i).change.seq;
      if (!reader.write(textOf(at(i)))) return;
    }
  }

  const streams = sseStreams<Client>({ pump, heartbeatMs });

  return {
    /** Called by the read model for each change it committed, in seq order; one it sent already (a rebuild replays them) is not sent again. */
    publish(change: Change): void {
      if (change.seq <= head) return;
      if (size === capacity) {
        evictedUpTo = ring[first].change.seq;
        ring[first] = { change };
        first = (first + 1) % capacity;
      } else ring[(first + size++) % capacity] = { change };
      head = change.seq;
      streams.pumpAll();
    },

    /** Where the model stood when this process took it up: a client behind it may have missed a change made before, and must reload. */
    resumeAt(seq: number): void {
      if (seq <= head) return;
      head = seq;
      evictedUpTo = seq;
    },

    /**
     * Streams changes after `since` (a Last-Event-ID), or from now without one: first a `start` event (or a `reset`
     * when `since` is older than the ring) whose id is where the stream begins, so the client has an id to resume from.
     */
    stream(res: ServerResponse, since?: number): void {
      const cursor = since ?? head;
      streams.open(res, { cursor }, cursor >= evictedUpTo ? sseFrame('start', { seq: cursor }, cursor) : undefined);
    },

    /** Ends every stream, and any opened later at once: an open stream would hold the server's shutdown. */
    close(): void {
      streams.close();
    },

    /** Open streams, for tests and metrics. */
    get clients(): number {
      return streams.size;
    },
  };
}

export type Live = ReturnType<typeof createLive>;
