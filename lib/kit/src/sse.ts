// Server-sent events, the one way every stream here is written and read: the headers, one frame per event, a
// `: ping` comment every heartbeat, and a reader whose socket stays full for a whole heartbeat dropped (it
// reconnects with its Last-Event-ID), so one slow page never holds memory for everyone else.
import type { ServerResponse } from 'node:http';

/** One event as the stream carries it; `id`, where there is one, is what a reconnecting client sends as Last-Event-ID. */
export const sseFrame = (event: string, data: unknown, id?: number) =>
  `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** One open stream, with what its caller keeps for it (where it is). */
export interface SseReader<S> {
  readonly res: ServerResponse;
  readonly state: S;
  /** Its socket buffer is full: nothing more is written until it drains, when it is pumped again. */
  readonly blocked: boolean;
  /** Writes a frame; false once the socket buffer is full, and the caller stops until the next pump. */
  write(text: string): boolean;
}

export interface SseOptions<S> {
  /** Writes what a reader has not had yet while `write` says it may: when it opens, when it drains, and at `pumpAll`. */
  pump(reader: SseReader<S>): void;
  /** Between `: ping` comments, which keep proxies from closing a quiet stream; a reader still blocked a whole interval later is closed. */
  heartbeatMs?: number;
}

interface Reader<S> extends SseReader<S> {
  blocked: boolean;
  /** Blocked at the last heartbeat too. */
  stalled: boolean;
}

export function sseStreams<S>({ pump, heartbeatMs = 15_000 }: SseOptions<S>) {
  const readers = new Set<Reader<S>>();
  let heartbeat: NodeJS.Timeout | undefined;
  let closed = false;

  const pumpIfOpen = (reader: Reader<S>) => {
    if (!reader.blocked && readers.has(reader)) pump(reader);
  };

  /** Forgets a reader at once (its 'close' comes later): nothing is written to it again. */
  function drop(reader: Reader<S>): void {
    readers.delete(reader);
    if (readers.size === 0) {
      clearInterval(heartbeat);
      heartbeat = undefined;
    }
  }

  function tick(): void {
    for (const reader of readers) {
      // A socket that did not drain for a whole interval: drop it, it reconnects with its Last-Event-ID.
      if (reader.blocked && reader.stalled) {
        drop(reader);
        reader.res.destroy();
      } else if (reader.blocked) reader.stalled = true;
      else reader.write(': ping\n\n');
    }
  }

  return {
    /**
     * Answers with an event stream and pumps it, after `first` (a frame saying where the stream begins) if given;
     * undefined for a HEAD, or once closed (the client reconnects, to another replica), both answered and ended.
     */
    open(res: ServerResponse, state: S, first?: string): SseReader<S> | undefined {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform', // no-transform: a compressing proxy would hold events back
        'x-accel-buffering': 'no', // nginx passes each event on at once, whatever its proxy-buffering
      });
      if (closed || res.req.method === 'HEAD') return void res.end();
      const reader: Reader<S> = {
        res,
        state,
        blocked: false,
        stalled: false,
        write: (text) => !(reader.blocked = !res.write(text)),
      };
      if (first !== undefined) reader.write(first);
      readers.add(reader);
      heartbeat ??= setInterval(tick, heartbeatMs).unref();
      res.on('drain', () => {
        reader.blocked = reader.stalled = false;
        pumpIfOpen(reader);
      });
      res.on('close', () => drop(reader));
      pumpIfOpen(reader);
      return reader;
    },

    /** Pumps every open stream: there is something new. */
    pumpAll(): void {
      for (const reader of readers) pumpIfOpen(reader);
    },

    /** The open streams, to write a frame that may be missed (a hint) to those not blocked. */
    readers: readers as ReadonlySet<SseReader<S>>,

    /** Ends every stream, and any opened later at once: an open stream would hold the server's shutdown. */
    close(): void {
      closed = true;
      for (const reader of readers) {
        drop(reader);
        // One that cannot take more would not finish ending either.
        if (reader.blocked) reader.res.destroy();
        else reader.res.end();
      }
    },

    /** Open streams. */
    get size(): number {
      return readers.size;
    },
  };
}

export type SseStreams<S> = ReturnType<typeof sseStreams<S>>;

/** The events of a server-sent event stream as they come (comments, the heartbeat, skipped). */
export async function* sseEvents(body: AsyncIterable<Uint8Array>): AsyncGenerator<{ id?: string; event: string; data: string }> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      let id: string | undefined;
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        if (colon === 0) continue; // a comment: the heartbeat
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') id = value;
        else if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0) yield { id, event, data: data.join('\n') };
    }
  }
}
