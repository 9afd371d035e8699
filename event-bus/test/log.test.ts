import { mkdtempSync, rmSync, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { EventLog, LogUnavailableError } from '../src/log';

const tmpDirs: string[] = [];
/** A log file in a folder of its own, removed after the suite. */
const tmpFile = () => path.join(tmpDirs[tmpDirs.push(mkdtempSync(path.join(os.tmpdir(), 'bus-log-'))) - 1], 'events.ndjson');
afterAll(() => tmpDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
const parse = (lines: string[]) => lines.map((l) => JSON.parse(l));
const line = (id: string, seq: number) => JSON.stringify({ id, seq, type: 'T', data: { text: 'some words' }, at: '2020-01-01T00:00:00.000Z' });

/** A logger that keeps what it logs. */
function recorder() {
  const logged: Array<Record<string, unknown>> = [];
  return { logged, logger: pino({ level: 'warn' }, { write: (text: string) => logged.push(JSON.parse(text)) }) };
}

/** What `writeJson` writes, parsed, and in how many chunks. */
async function wholeJson(log: EventLog, chunkBytes: number) {
  const chunks: string[] = [];
  await log.writeJson(log.head, async (chunk) => void chunks.push(chunk.toString()), chunkBytes);
  return { events: JSON.parse(chunks.join('')) as Array<{ seq: number; id: string }>, chunks: chunks.length };
}

describe('EventLog', () => {
  it('numbers events 1, 2, 3 … and stores a known id once', async () => {
    const log = EventLog.inMemory();
    const first = await log.append([
      { id: 'a', type: 'T', data: {} },
      { type: 'T', data: { n: 2 } },
    ]);
    const again = await log.append([{ id: 'a', type: 'T', data: { other: true } }]);
    expect(first.map((r) => r.seq)).toEqual([1, 2]);
    expect(first[1].id).toEqual(expect.any(String));
    expect(again).toEqual([{ id: 'a', seq: 1, duplicate: true }]);
    expect(log.head).toBe(2);
    expect(parse(log.linesAfter(0)).map((e) => e.data)).toEqual([{}, { n: 2 }]);
  });

  it('answers pages after a seq', async () => {
    const log = EventLog.inMemory();
    await log.append(Array.from({ length: 10 }, (_, i) => ({ type: 'T', data: { i } })));
    expect(parse(log.linesAfter(3, 4)).map((e) => e.seq)).toEqual([4, 5, 6, 7]);
    expect(log.linesAfter(10)).toEqual([]);
  });

  it('keeps every acknowledged event in its file and reads them back', async () => {
    const file = tmpFile();
    const log = await EventLog.open(file);
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.append([{ id: `e${i}`, type: 'T', data: { i } }])));
    await log.close();

    const reopened = await EventLog.open(file);
    expect(reopened.head).toBe(50);
    expect(reopened.firstId).toBe('e0');
    expect((await reopened.append([{ id: 'e7', type: 'T', data: {} }]))[0]).toEqual({ id: 'e7', seq: 8, duplicate: true });
    expect((await reopened.append([{ id: 'new', type: 'T', data: {} }]))[0].seq).toBe(51);
    await reopened.close();
  });

  it.each([
    ['a line cut short', '{"id":"b","seq":2,"ty'],
    ['zeros where a block never made it to disk', '\0'.repeat(4096)],
    ['a garbled line, then one cut short', '{"id":"b","se\u0000\u0000"}\n{"id":"c"'],
  ])('cuts off a torn end (%s), never acknowledged, logging its bytes, and starts', async (_what, tail) => {
    const file = tmpFile();
    const log = await EventLog.open(file);
    await log.append([{ id: 'a', type: 'T', data: {} }]);
    await log.close();
    const whole = await fs.readFile(file, 'utf8');
    await fs.appendFile(file, tail);

    const { logged, logger } = recorder();
    const reopened = await EventLog.open(file, { logger });
    expect(logged).toEqual([expect.objectContaining({ file, line: 2, bytes: Buffer.byteLength(tail), msg: expect.stringMatching(/torn end/) })]);
    expect(reopened.head).toBe(1);
    expect(await fs.readFile(file, 'utf8')).toBe(whole);
    expect((await reopened.append([{ id: 'b', type: 'T', data: {} }]))[0]).toEqual({ id: 'b', seq: 2, duplicate: false });
    await reopened.close();
    expect((await fs.readFile(file, 'utf8')).trim().split('\n')).toHaveLength(2);
  });

  it.each([
    ['a garbled line between events', [line('a', 1), 'not an event at all', line('b', 2)], 2],
    ['a blank line between events', [line('a', 1), '', line('b', 2)], 2],
    // A write cut short and then written on: event 2's first bytes joined to event 3.
    ['an event cut short with the next one joined to it', [line('a', 1), line('b', 2).slice(0, 50) + line('c', 3), line('d', 4)], 2],
    ['a seq out of place', [line('a', 1), line('b', 2), line('c', 9)], 3],
  ])('refuses to start on damage in the middle (%s), naming the file, the line and what to do', async (_what, lines, badLine) => {
    const file = tmpFile();
    const content = lines.join('\n') + '\n';
    await fs.writeFile(file, content);
    const { logged, logger } = recorder();
    const opening = EventLog.open(file, { logger });
    await expect(opening).rejects.toThrow(file);
    await expect(opening).rejects.toThrow(new RegExp(`line ${badLine} .*move the file aside.*cut it at line ${badLine}`, 'i'));
    expect(logged).toEqual([]);
    expect(await fs.readFile(file, 'utf8')).toBe(content); // nothing cut
  });

  describe('when a write fails (a full disk)', () => {
    // The disk is played by FileHandle's write; test/full-disk.test.ts fills a real one.
    let write: jest.SpyInstance;
    let realWrite: (this: FileHandle, bytes: Buffer) => Promise<{ bytesWritten: number }>;
    beforeAll(async () => {
      const handle = await fs.open(tmpFile(), 'a+');
      const fileHandles = Object.getPrototypeOf(handle) as FileHandle;
      await handle.close();
      realWrite = fileHandles.write as unknown as typeof realWrite;
      write = jest.spyOn(fileHandles, 'write');
    });
    afterEach(() => write.mockReset().mockImplementation(realWrite));
    afterAll(() => write.mockRestore());

    /** The disk takes half of the next write, then no more. */
    function fillDisk() {
      const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      write
        .mockImplementationOnce(async function (this: FileHandle, data: Buffer | string, offset?: number) {
          const bytes = typeof data === 'string' ? Buffer.from(data) : data.subarray(offset ?? 0);
          return realWrite.call(this, bytes.subarray(0, Math.floor(bytes.length / 2)));
        })
        .mockRejectedValue(enospc);
    }

    it('refuses the events it could not store, keeps the file to the acknowledged ones, and takes them later', async () => {
      const file = tmpFile();
      const log = await EventLog.open(file);
      const states: string[] = [];
      log.on('unwritable', () => states.push('unwritable'));
      log.on('writable', () => states.push('writable'));
      await log.append([{ id: 'a', type: 'T', data: {} }]);
      const stored = await fs.readFile(file, 'utf8');

      fillDisk();
      // b is being written when c arrives: c waits behind it, and fails with it.
      const refused = await Promise.allSettled([log.append([{ id: 'b', type: 'T', data: {} }]), log.append([{ id: 'c', type: 'T', data: {} }])]);
      expect(refused.map((r) => r.status === 'rejected' && r.reason instanceof LogUnavailableError)).toEqual([true, true]);
      expect(log.head).toBe(1);
      expect(await fs.readFile(file, 'utf8')).toBe(stored);
      await expect(log.append([{ id: 'b', type: 'T', data: {} }])).rejects.toThrow(/ENOSPC/); // still full
      expect(states).toEqual(['unwritable']);

      write.mockReset().mockImplementation(realWrite); // space again
      expect(await log.append([{ id: 'b', type: 'T', data: {} }])).toEqual([{ id: 'b', seq: 2, duplicate: false }]);
      expect(await log.append([{ id: 'c', type: 'T', data: {} }])).toEqual([{ id: 'c', seq: 3, duplicate: false }]);
      expect(states).toEqual(['unwritable', 'writable']);
      expect(parse(log.linesAfter(0)).map((e) => [e.id, e.seq])).toEqual([
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ]);
      await log.close();

      const reopened = await EventLog.open(file);
      expect(parse(reopened.linesAfter(0)).map((e) => [e.id, e.seq])).toEqual([
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ]);
      await reopened.close();
    });

    it('gives a fresh log its name back when its first write fails', async () => {
      const log = await EventLog.open(tmpFile());
      fillDisk();
      await expect(log.append([{ id: 'first', type: 'T', data: {} }])).rejects.toBeInstanceOf(LogUnavailableError);
      expect(log.firstId).toBeUndefined();
      write.mockReset().mockImplementation(realWrite);
      await log.append([{ id: 'second', type: 'T', data: {} }]);
      expect(log.firstId).toBe('second');
      await log.close();
    });
  });

  it('shares one flush among publishes that arrive together (group commit)', async () => {
    const file = tmpFile();
    const log = await EventLog.open(file);
    const flushes = jest.fn();
    log.on('durable', flushes);
    await Promise.all(Array.from({ length: 100 }, (_, i) => log.append([{ type: 'T', data: { i } }])));
    expect(log.head).toBe(100);
    expect(flushes.mock.calls.length).toBeLessThan(100);
    await log.close();
  });

  it('keeps only recent lines in memory with a file, and reads older ones back from it', async () => {
    const file = tmpFile();
    const log = await EventLog.open(file, { cacheLimit: 5 });
    for (let i = 1; i <= 40; i++) await log.append([{ id: `e${i}`, type: 'T', data: { i, text: 'é ✓ "quoted"\nline' } }]);
    const all = parse(log.linesAfter(0));
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(all[0].data).toEqual({ i: 1, text: 'é ✓ "quoted"\nline' });
    expect(parse(log.linesAfter(3, 4)).map((e) => e.id)).toEqual(['e4', 'e5', 'e6', 'e7']);
    expect(parse(log.linesAfter(37)).map((e) => e.id)).toEqual(['e38', 'e39', 'e40']);
    await log.close();

    const reopened = await EventLog.open(file, { cacheLimit: 5 });
    expect(parse(reopened.linesAfter(10, 3)).map((e) => e.id)).toEqual(['e11', 'e12', 'e13']);
    expect(parse(reopened.linesAfter(38)).map((e) => e.id)).toEqual(['e39', 'e40']);
    expect(JSON.parse(reopened.jsonAfter(0).toString())).toEqual(all);
    expect(JSON.parse(reopened.jsonAfter(2, 2).toString()).map((e: { id: string }) => e.id)).toEqual(['e3', 'e4']);
    expect(reopened.jsonAfter(40)).toBe('[]');
    await reopened.close();
  });

  it.each([
    ['in a file', () => EventLog.open(tmpFile(), { cacheLimit: 5 })],
    ['in memory', async () => EventLog.inMemory()],
  ])('gives the whole log %s as one JSON array, in chunks', async (_where, make) => {
    const log = await make();
    expect(await wholeJson(log, 100)).toEqual({ events: [], chunks: 1 });
    await log.append(Array.from({ length: 40 }, (_, i) => ({ id: `e${i + 1}`, type: 'T', data: { i, text: 'é ✓ "quoted"\nline' } })));
    const { events, chunks } = await wholeJson(log, 500);
    expect(events).toEqual(parse(log.linesAfter(0)));
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(chunks).toBeGreaterThan(5);
    await log.close();
  });

  it('caps a page in bytes, and always answers at least one event', async () => {
    const log = EventLog.inMemory();
    await log.append(Array.from({ length: 10 }, (_, i) => ({ type: 'T', data: { i, text: 'x'.repeat(1000) } })));
    expect(JSON.parse(log.jsonAfter(0, 100, 3500).toString())).toHaveLength(3);
    expect(JSON.parse(log.jsonAfter(0, 100, 10).toString())).toHaveLength(1);
  });
});
