// The event log: the source of truth, one JSON line per event. With a file, an event is
// visible (readable, delivered, answered 201) only once its bytes are flushed, so a crash
// can never reuse a seq already seen; and memory holds only each event's place in the file,
// its id and the most recent lines, so the bus stays small however long the log grows (the
// rest is read back from the OS's page cache). Without a file, memory holds every line.
// A write that fails (a full disk) is cut back out of the file and its publishes refused;
// the next publish tries again.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { constants as fsConstants, createReadStream, readSync, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';

export { MAX_EVENT_BYTES } from '@posts/bus-client';

/**
 * Opened with O_DSYNC where the system has it, a write returns once its bytes are on the disk: one call
 * to the thread pool where a write and an fdatasync took two (1.1-1.2x the publishes a second here).
 */
const SYNC_EACH_WRITE = fsConstants.O_DSYNC;
const LOG_FLAGS = SYNC_EACH_WRITE ? fsConstants.O_APPEND | fsConstants.O_CREAT | fsConstants.O_RDWR | SYNC_EACH_WRITE : 'a+';

/** The file cannot be written now (a full disk, a failing one): nothing of the publish was stored. */
export class LogUnavailableError extends Error {}

/** An event the log will not store, so neither is the rest of its batch. */
export class UnstorableEventError extends Error {}

/** An event over the bytes its publisher may store, so neither is the rest of its batch. */
export class EventTooLargeError extends Error {}

export interface Publication {
  id?: string;
  type: string;
  data: unknown;
  requestId?: string;
  traceparent?: string;
  source?: string;
}

export interface Appended {
  id: string;
  seq: number;
  duplicate: boolean;
}

/** Emits 'durable' (the new head), 'unwritable' (why) when writes start failing, 'writable' when one succeeds again. */
export class EventLog extends EventEmitter {
  /** Seqs given out so far, durable or not. */
  private assigned = 0;
  /** The most recent durable lines, seqs `cacheStart + 1 …`: what deliveries read. */
  private cache: string[] = [];
  private cacheStart = 0;
  /** The byte offset just past each event's line in the file (or as if in one), `ends[seq - 1]`. */
  private readonly ends: number[] = [];
  private readBuffer = Buffer.alloc(0);
  private readonly seqById = new Map<string, number>();
  /** The id of the first event: names this log, so a replaced log can be told apart. */
  firstId: string | undefined;
  /** Events up to here are durable and visible. */
  private durable = 0;
  private unwritten: string[] = [];
  private writing: Promise<void> | null = null;
  private waiters: Array<{ seq: number; resolve: () => void; reject: (err: Error) => void }> = [];
  /** A failed write may have left part of its bytes in the file: cut them before the next. */
  private torn = false;
  /** The last write failed: the next that succeeds says so. */
  private writeFailed = false;

  private constructor(
    private readonly file: FileHandle | null,
    private readonly cacheLimit = file ? 10_000 : Infinity,
  ) {
    super();
  }

  /** A log in memory only. */
  static inMemory(): EventLog {
    return new EventLog(null);
  }

  /**
   * A log appended to `filePath`, read back from it first. A torn end (a write a crash cut
   * short, never acknowledged) is cut off and logged; damage anywhere else stops the start.
   */
  static async open(filePath: string, { cacheLimit = 10_000, logger }: { cacheLimit?: number; logger?: Pick<Logger, 'warn'> } = {}): Promise<EventLog> {
    await fs.mkdir(path.dirname(filePath), { recursive: true });
    const log = new EventLog(await fs.open(filePath, LOG_FLAGS), cacheLimit);
    try {
      await log.readBack(filePath, logger);
    } catch (err) {
      await log.close();
      throw err;
    }
    return log;
  }

  /** Reads the file's events back, and cuts a torn end off it. */
  private async readBack(filePath: string, logger?: Pick<Logger, 'warn'>): Promise<void> {
    // Line by line, keeping only each event's place, its id and the recent lines: a long
    // log never sits in memory whole, not even while it is read.
    let rest = '';
    let lineNumber = 0;
    let firstBadLine = 0;
    let previous = '';
    for await (const chunk of createReadStream(filePath, { encoding: 'utf8' })) {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        lineNumber++;
        const event = idAndSeq(line);
        if (!event) {
          firstBadLine ||= lineNumber;
          continue;
        }
        if (firstBadLine) throw damaged(filePath, firstBadLine, 'is not a whole event, and events follow it');
        if (event.seq !== this.assigned + 1) {
          // A line cut short and then written on reads as the event it began; the next seq tells.
          if (previous && !isJson(previous)) throw damaged(filePath, lineNumber - 1, 'is not a whole event');
          throw damaged(filePath, lineNumber, `holds seq ${event.seq} where seq ${this.assigned + 1} belongs`);
        }
        this.assigned = event.seq;
        this.seqById.set(event.id, event.seq);
        this.firstId ??= event.id;
        this.keep([line]);
        previous = line;
      }
    }
    const end = this.ends.at(-1) ?? 0;
    const { size } = await this.file!.stat();
    if (size > end) {
      await this.file!.truncate(end);
      logger?.warn(
        { file: filePath, line: firstBadLine || lineNumber + 1, bytes: size - end },
        'cut a torn end off the event log (a write a crash cut short, never acknowledged)',
      );
    }
    this.durable = this.assigned;
  }

  /** The last durable seq. */
  get head(): number {
    return this.durable;
  }

  /**
   * Appends the events whose id the log doesn't hold yet and resolves once they (and any
   * earlier ones) are durable. Publications that arrive together share one write and flush.
   * An event whose line is over `maxEventBytes` refuses its whole batch.
   */
  async append(publications: Publication[], maxEventBytes = Infinity): Promise<Appended[]> {
    const at = new Date().toISOString();
    // Every line is made before the log changes: an event JSON.stringify refuses (data nested
    // thousands deep, which JSON.parse took) refuses its whole batch, and leaves nothing behind.
    const fresh = new Map<string, { seq: number; line: string }>();
    const results = publications.map((p, index): Appended => {
      const id = p.id ?? randomUUID();
      const known = this.seqById.get(id) ?? fresh.get(id)?.seq;
      if (known !== undefined) return { id, seq: known, duplicate: true };
      const seq = this.assigned + fresh.size + 1;
      let line: string;
      try {
        line = JSON.stringify({
          id,
          seq,
          type: p.type,
          data: p.data,
          at,
          ...(p.requestId ? { requestId: p.requestId } : {}),
          ...(p.traceparent ? { traceparent: p.traceparent } : {}),
          ...(p.source ? { source: p.source } : {}),
        });
      } catch (err) {
        throw new UnstorableEventError(`event ${index}: its data cannot be stored as JSON (${(err as Error).message})`);
      }
      // A UTF-16 unit is at most 3 bytes in UTF-8: most lines need no count.
      const bytes = line.length * 3 > maxEventBytes ? Buffer.byteLength(line) : 0;
      if (bytes > maxEventBytes) throw new EventTooLargeError(`event ${index} would be stored as ${bytes} bytes; one event may have ${maxEventBytes}`);
      fresh.set(id, { seq, line });
      return { id, seq, duplicate: false };
    });
    for (const [id, { seq, line }] of fresh) {
      this.assigned = seq;
      this.seqById.set(id, seq);
      this.firstId ??= id;
      this.unwritten.push(line);
    }
    const last = Math.max(0, ...results.map((r) => r.seq));
    if (!this.file) {
      this.keep(this.unwritten.splice(0));
      this.markDurable(this.assigned);
    } else if (last > this.durable) {
      await new Promise<void>((resolve, reject) => {
        this.waiters.push({ seq: last, resolve, reject });
        this.writing ??= this.writeLoop();
      });
    }
    return results;
  }

  /** Up to `limit` durable events with `seq > after`, as JSON lines. */
  linesAfter(after: number, limit = Infinity, maxBytes = Infinity): string[] {
    const { start, end } = this.range(after, limit, maxBytes);
    if (end <= start) return [];
    if (start >= this.cacheStart) return this.cache.slice(start - this.cacheStart, end - this.cacheStart);
    return this.readFile(start, end).split('\n');
  }

  /**
   * The same events as one JSON array, as `GET /events` answers them: at most `maxBytes`
   * (and always the first event), so a page of large events stays a size a reader can take.
   */
  jsonAfter(after: number, limit = Infinity, maxBytes = 8 * 1024 * 1024): string | Buffer {
    const { start, end, from } = this.range(after, limit, maxBytes);
    if (end <= start) return '[]';
    if (start >= this.cacheStart) return `[${this.linesAfter(after, end - start).join(',')}]`;
    // Older events go out as the file's bytes: `[`, the lines with their newlines turned into
    // commas (a stored line holds no raw newline: JSON escapes them), `]`. No string is made,
    // so a catch-up of 100,000 events leaves no large strings for the GC to find late.
    const length = this.ends[end - 1] - from;
    const json = Buffer.allocUnsafe(length + 1);
    readSync(this.file!.fd, json, 1, length, from);
    json[0] = 0x5b; // [
    commasForNewlines(json);
    json[length] = 0x5d; // ] in place of the last newline
    return json;
  }

  /**
   * Writes events 1 … `head` as one JSON array, a chunk of about `chunkBytes` at a time, each
   * once `write` has resolved for the last: the whole log, however long, in one chunk of memory.
   */
  async writeJson(head: number, write: (chunk: string | Buffer) => Promise<void>, chunkBytes = 64 * 1024): Promise<void> {
    await write(head === 0 ? '[]' : '[');
    let buffer = Buffer.alloc(0); // reused: a new one per chunk is memory the GC returns late
    for (let start = 0; start < head;) {
      const { end, from } = this.range(start, head - start, chunkBytes);
      const close = end === head ? ']' : ',';
      if (this.file) {
        const length = this.ends[end - 1] - from;
        if (buffer.length < length) buffer = Buffer.allocUnsafe(Math.max(length, chunkBytes));
        const bytes = buffer.subarray(0, length);
        await this.file.read(bytes, 0, length, from);
        commasForNewlines(bytes);
        bytes[length - 1] = close.charCodeAt(0);
        await write(bytes);
      } else {
        await write(this.linesAfter(start, end - start).join(',') + close);
      }
      start = end;
    }
  }

  /** Events `start + 1 … end`: at most `limit` of them and `maxBytes` of their lines, one at least. */
  private range(after: number, limit: number, maxBytes = Infinity) {
    const start = Math.max(0, after);
    const last = Math.min(this.durable, start + limit);
    const from = start === 0 ? 0 : this.ends[start - 1];
    // Forward from `start`, so a page costs the events in it, not the events after it.
    let end = Math.min(start + 1, last);
    while (end < last && this.ends[end] - from <= maxBytes) end++;
    return { start, end, from };
  }

  /** Events `start + 1 … end`, which sit together in the file: one read, newline-separated. */
  private readFile(start: number, end: number): string {
    const from = start === 0 ? 0 : this.ends[start - 1];
    const length = this.ends[end - 1] - from;
    // One buffer, grown as needed and reused: a new one per page is memory the GC returns late.
    if (this.readBuffer.length < length) this.readBuffer = Buffer.allocUnsafe(Math.max(length, 2 * this.readBuffer.length));
    readSync(this.file!.fd, this.readBuffer, 0, length, from);
    return this.readBuffer.toString('utf8', 0, length - 1);
  }

  /** Remembers newly durable lines, and their place in the file. */
  private keep(lines: string[]): void {
    for (const line of lines) {
      this.ends.push((this.ends.at(-1) ?? 0) + Buffer.byteLength(line) + 1);
      this.cache.push(line);
    }
    const excess = this.cache.length - this.cacheLimit;
    if (excess >= Math.min(1000, this.cacheLimit)) {
      // Trimmed in steps, not per line, so the array isn't copied on every write.
      this.cache = this.cache.slice(excess);
      this.cacheStart += excess;
    }
  }

  /** Waits for what is being written, then closes the file. */
  async close(): Promise<void> {
    await this.writing;
    await this.file?.close();
  }

  private async writeLoop(): Promise<void> {
    try {
      while (this.unwritten.length > 0) {
        const batch = this.unwritten;
        this.unwritten = [];
        try {
          await this.write(batch);
        } catch (err) {
          this.forgetUnwritten(batch, err as Error);
          return;
        }
        this.keep(batch);
        this.markDurable(this.durable + batch.length);
        if (this.writeFailed) {
          this.writeFailed = false;
          this.emit('writable');
        }
      }
    } finally {
      this.writing = null;
    }
  }

  /** Puts every byte of the lines in the file and flushes them, or throws having cut them back out. */
  private async write(lines: string[]): Promise<void> {
    const file = this.file!;
    const end = this.ends.at(-1) ?? 0;
    if (this.torn) await file.truncate(end);
    this.torn = true;
    const bytes = Buffer.from(lines.join('\n') + '\n');
    try {
      // A full disk takes only what fits: go on until every byte is out, or the write fails.
      for (let done = 0; done < bytes.length;) done += (await file.write(bytes, done)).bytesWritten;
      if (!SYNC_EACH_WRITE) await file.datasync();
    } catch (err) {
      // Cut at once, so a crash now cannot keep a refused event; if this fails, the next write cuts.
      await file.truncate(end).catch(() => {});
      throw err;
    }
    this.torn = false;
  }

  /**
   * A write failed: its events and those queued behind it were not stored. Their seqs and ids
   * go back, so the next write takes those seqs and a retry is no duplicate.
   */
  private forgetUnwritten(batch: string[], cause: Error): void {
    for (const line of [...batch, ...this.unwritten]) this.seqById.delete(idAndSeq(line)!.id);
    this.unwritten = [];
    this.assigned = this.durable;
    if (this.durable === 0) this.firstId = undefined;
    const failure = new LogUnavailableError(`The event log cannot be written (${cause.message}); nothing was stored. Try again later.`, { cause });
    for (const w of this.waiters.splice(0)) w.reject(failure);
    if (!this.writeFailed) {
      this.writeFailed = true;
      this.emit('unwritable', cause);
    }
  }

  private markDurable(seq: number): void {
    this.durable = seq;
    const stillWaiting = this.waiters.filter((w) => w.seq > seq);
    for (const w of this.waiters) if (w.seq <= seq) w.resolve();
    this.waiters = stillWaiting;
    this.emit('durable', seq);
  }
}

/** `id` and `seq` of a stored line, from the prefix this log writes, without parsing the rest; undefined if it is no event. */
function idAndSeq(line: string): { id: string; seq: number } | undefined {
  try {
    const prefix = /^\{"id":("(?:[^"\\]|\\.)*"),"seq":(\d+),/.exec(line);
    if (prefix) return { id: JSON.parse(prefix[1]) as string, seq: Number(prefix[2]) };
    const { id, seq } = JSON.parse(line) as { id?: unknown; seq?: unknown };
    return typeof id === 'string' && typeof seq === 'number' ? { id, seq } : undefined;
  } catch {
    return undefined;
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Damage a crash cannot make: the bus does not guess which events to keep. */
function damaged(file: string, line: number, what: string): Error {
  return new Error(
    `${file}: line ${line} ${what}. A crash can only cut the end of the log; this is damage in the middle. ` +
      `Move the file aside (the bus then starts an empty log), or cut it at line ${line}, dropping the events from there on, and start again.`,
  );
}

/** Turns the newlines between stored lines into commas (a stored line holds no raw newline: JSON escapes them). */
function commasForNewlines(bytes: Buffer): void {
  for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, i + 1)) bytes[i] = 0x2c;
}
