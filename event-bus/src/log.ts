// The event log: the source of truth. Kept in memory as one JSON line per event; with a
// file it is also appended there, and an event is visible (readable, delivered, answered
// 201) only once its bytes are flushed, so a crash can never reuse a seq already seen.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';

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
    const text = await fs.readFile(filePath, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
    if (complete.length < text.length) {
      // The last line was cut by a crash mid-write: it was never acknowledged, so drop it.
      await fs.truncate(filePath, Buffer.byteLength(complete));
    }
    const log = new EventLog(await fs.open(filePath, 'a'));
    for (const line of complete.split('\n')) {
      if (!line) continue;
      const event = JSON.parse(line) as { id: string; seq: number };
      if (event.seq !== log.lines.length + 1) throw new Error(`${filePath}: expected seq ${log.lines.length + 1}, found ${event.seq}`);
      log.lines.push(line);
      log.seqById.set(event.id, event.seq);
      log.firstId ??= event.id;
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
    const results = publications.map((p): Appended => {
      const id = p.id ?? randomUUID();
      const known = this.seqById.get(id);
      if (known !== undefined) return { id, seq: known, duplicate: true };
      const seq = this.lines.length + 1;
      const line = JSON.stringify({ id, seq, type: p.type, data: p.data, at, ...(p.requestId ? { requestId: p.requestId } : {}) });
      this.lines.push(line);
      this.seqById.set(id, seq);
      this.firstId ??= id;
      this.unwritten.push(line);
      return { id, seq, duplicate: false };
    });
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
