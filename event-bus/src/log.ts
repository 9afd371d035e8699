// The event log: the source of truth. Kept in memory as one JSON line per event; with a
// file it is also appended there, and an event is visible (readable, delivered, answered
// 201) only once its bytes are flushed, so a crash can never reuse a seq already seen.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createReadStream, promises as fs } from 'node:fs';
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
  /** The events as JSON text, `lines[seq - 1]`: what readers and deliveries send as it is. */
  private readonly lines: string[] = [];
  private readonly seqById = new Map<string, number>();
  /** The id of the first event: names this log, so a replaced log can be told apart. */
  firstId: string | undefined;
  /** Events up to here are durable and visible. */
  private durable = 0;
  private unwritten: string[] = [];
  private writing: Promise<void> | null = null;
  private waiters: Array<{ seq: number; resolve: () => void; reject: (err: Error) => void }> = [];
  private failure: Error | null = null;

  private constructor(private readonly file: FileHandle | null) {
    super();
  }

  /** A log in memory only. */
  static inMemory(): EventLog {
    return new EventLog(null);
  }

  /** A log appended to `filePath`, read back from it first. */
  static async open(filePath: string): Promise<EventLog> {
    await fs.mkdir(path.dirname(filePath), { recursive: true });
    const lines: string[] = [];
    let complete = 0; // bytes up to the end of the last whole line
    try {
      // Line by line: a 100,000-event log never sits in memory twice.
      const input = createReadStream(filePath, { encoding: 'utf8' });
      let rest = '';
      for await (const chunk of input) {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop()!;
        for (const line of parts) {
          complete += Buffer.byteLength(line) + 1;
          if (line) lines.push(line);
        }
      }
      if (rest) {
        // The last line was cut by a crash mid-write: it was never acknowledged, so drop it.
        await fs.truncate(filePath, complete);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const log = new EventLog(await fs.open(filePath, 'a'));
    for (const line of lines) {
      const { id, seq } = idAndSeq(line);
      if (seq !== log.lines.length + 1) throw new Error(`${filePath}: expected seq ${log.lines.length + 1}, found ${seq}`);
      log.lines.push(line);
      log.seqById.set(id, seq);
      log.firstId ??= id;
    }
    log.durable = log.lines.length;
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
      const seq = this.lines.length + fresh.size + 1;
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
      this.lines.push(line);
      this.seqById.set(id, seq);
      this.firstId ??= id;
      this.unwritten.push(line);
    }
    const last = Math.max(0, ...results.map((r) => r.seq));
    if (!this.file) {
      this.markDurable(this.lines.length);
    } else if (last > this.durable) {
      await new Promise<void>((resolve, reject) => {
        this.waiters.push({ seq: last, resolve, reject });
        this.writing ??= this.writeLoop();
      });
    }
    return results;
  }

  /** Up to `limit` durable events with `seq > after`, as JSON lines. */
  linesAfter(after: number, limit = Infinity): string[] {
    const start = Math.max(0, after);
    return this.lines.slice(start, Math.min(this.durable, start + limit));
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
