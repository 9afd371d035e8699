import { mkdtempSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EventLog } from '../src/log';

const tmpFile = () => path.join(mkdtempSync(path.join(os.tmpdir(), 'bus-log-')), 'events.ndjson');
const parse = (lines: string[]) => lines.map((l) => JSON.parse(l));

describe('EventLog', () => {
  it('numbers events 1, 2, 3 … and stores a known id once', async () => {
    const log = EventLog.inMemory();
    const first = await log.append([{ id: 'a', type: 'T', data: {} }, { type: 'T', data: { n: 2 } }]);
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

  it('drops a last line cut short by a crash, which was never acknowledged', async () => {
    const file = tmpFile();
    const log = await EventLog.open(file);
    await log.append([{ id: 'a', type: 'T', data: {} }]);
    await log.close();
    await fs.appendFile(file, '{"id":"b","seq":2,"ty');

    const reopened = await EventLog.open(file);
    expect(reopened.head).toBe(1);
    expect((await reopened.append([{ id: 'b', type: 'T', data: {} }]))[0]).toEqual({ id: 'b', seq: 2, duplicate: false });
    await reopened.close();
    expect((await fs.readFile(file, 'utf8')).trim().split('\n')).toHaveLength(2);
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
    const log = await EventLog.open(file, 5);
    for (let i = 1; i <= 40; i++) await log.append([{ id: `e${i}`, type: 'T', data: { i, text: 'é ✓ "quoted"\nline' } }]);
    const all = parse(log.linesAfter(0));
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(all[0].data).toEqual({ i: 1, text: 'é ✓ "quoted"\nline' });
    expect(parse(log.linesAfter(3, 4)).map((e) => e.id)).toEqual(['e4', 'e5', 'e6', 'e7']);
    expect(parse(log.linesAfter(37)).map((e) => e.id)).toEqual(['e38', 'e39', 'e40']);
    await log.close();

    const reopened = await EventLog.open(file, 5);
    expect(parse(reopened.linesAfter(10, 3)).map((e) => e.id)).toEqual(['e11', 'e12', 'e13']);
    expect(parse(reopened.linesAfter(38)).map((e) => e.id)).toEqual(['e39', 'e40']);
    expect(JSON.parse(reopened.jsonAfter(0).toString())).toEqual(all);
    expect(JSON.parse(reopened.jsonAfter(2, 2).toString()).map((e: { id: string }) => e.id)).toEqual(['e3', 'e4']);
    expect(reopened.jsonAfter(40)).toBe('[]');
    await reopened.close();
  });

  it('caps a page in bytes, and always answers at least one event', async () => {
    const log = EventLog.inMemory();
    await log.append(Array.from({ length: 10 }, (_, i) => ({ type: 'T', data: { i, text: 'x'.repeat(1000) } })));
    expect(JSON.parse(log.jsonAfter(0, 100, 3500).toString())).toHaveLength(3);
    expect(JSON.parse(log.jsonAfter(0, 100, 10).toString())).toHaveLength(1);
  });
});
