// The event log: the source of truth, one JSON line per event. With a file, an event is
// visible (readable, delivered, answered 201) only once its bytes are flushed, so a crash
// can never reuse a seq already seen; and memory holds only each event's place in the file,
// its id and the most recent lines, so the bus stays small however long the log grows (the
// rest is read back from the OS's page cache). Without a file, memory holds every line.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createReadStream, readSync, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { HttpError } from './service';

export interface Publication {
  id?: string;
  type: string;
  data: unknown;
  requestId?: string;
}

export interface Appended {
  id: string;
  seq: number;
  duplicate: boolean;
}

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
  private failure: Error | null = null;

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

  /** A log appended to `filePath`, read back from it first. */
  static async open(filePath: string, cacheLimit = 10_000): Promise<EventLog> {
    await fs.mkdir(path.dirname(filePath), { recursive: true });
    const log = new EventLog(await fs.open(filePath, 'a+'), cacheLimit);
    // Line by line, keeping only each event's place, its id and the recent lines: a long
    // log never sits in memory whole, not even while it is read.
    let rest = '';
    for await (const chunk of createReadStream(filePath, { encoding: 'utf8' })) {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        if (!line) continue;
        const { id, seq } = idAndSeq(line);
        if (seq !== log.assigned + 1) throw new Error(`${filePath}: expected seq ${log.assigned + 1}, found ${seq}`);
        log.assigned = seq;
        log.seqById.set(id, seq);
        log.firstId ??= id;
        log.keep([line]);
      }
    }
    if (rest) {
      // The last line was cut by a crash mid-write: it was never acknowledged, so drop it.
      await fs.truncate(filePath, log.ends.at(-1) ?? 0);
    }
    log.durable = log.assigned;
    return log;
  }

  /** The last durable seq. */
  get head(): number {
    return this.durable;
  }


  /**
   * Appends the events whose id the log doesn't hold yet and resolves once they (and any
   * earlier ones) are durable. Publications that arrive together share one write and flush.
   */
  async append(publications: Publication[]): Promise<Appended[]> {
    if (this.failure) throw this.failure;
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
        line = JSON.stringify({ id, seq, type: p.type, data: p.data, at, ...(p.requestId ? { requestId: p.requestId } : {}) });
      } catch (err) {
        throw new HttpError(400, 'invalid_request', `event ${index}: its data cannot be stored as JSON (${(err as Error).message})`);
      }
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
    for (let i = json.indexOf(0x0a, 1); i !== -1; i = json.indexOf(0x0a, i + 1)) json[i] = 0x2c; // ,
    json[length] = 0x5d; // ] in place of the last newline
    return json;
  }

  /** Events `start + 1 … end`: at most `limit` of them and `maxBytes` of their lines, one at least. */
  private range(after: number, limit: number, maxBytes = Infinity) {
    const start = Math.max(0, after);
    let end = Math.min(this.durable, start + limit);
    const from = start === 0 ? 0 : this.ends[start - 1];
    while (end > start + 1 && this.ends[end - 1] - from > maxBytes) end--;
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
        await this.file!.write(batch.join('\n') + '\n');
        await this.file!.datasync();
        this.keep(batch);
        this.markDurable(this.durable + batch.length);
      }
    } catch (err) {
      // The file and memory no longer agree; refuse all further writes. The process
      // should restart and read the file back.
      this.failure = err as Error;
      for (const w of this.waiters.splice(0)) w.reject(this.failure);
      this.emit('failed', this.failure);
    } finally {
      this.writing = null;
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

/** `id` and `seq` of a stored line, from the prefix this log writes, without parsing the rest. */
function idAndSeq(line: string): { id: string; seq: number } {
  const prefix = /^\{"id":("(?:[^"\\]|\\.)*"),"seq":(\d+),/.exec(line);
  if (prefix) return { id: JSON.parse(prefix[1]) as string, seq: Number(prefix[2]) };
  return JSON.parse(line) as { id: string; seq: number };
}
