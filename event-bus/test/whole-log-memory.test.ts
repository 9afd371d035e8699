// GET /events without `after` or `limit` sends the whole log in chunks: the bus's memory does
// not grow with the log it sends. Measured on the built bus, as its own process.
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startBusProcess, type BusProcess } from './bus-process';

const LOG_BYTES = 64 * 1024 * 1024;

/** Resident memory of a process, in bytes, from /proc. */
function rss(pid: number): number {
  const kB = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kB) * 1024;
}

const onLinux = process.platform === 'linux' ? describe : describe.skip;
if (process.platform !== 'linux') console.warn(`whole-log memory test skipped: it reads /proc, which ${process.platform} has not`);

onLinux('GET /events of a long log', () => {
  let dir: string;
  let bus: BusProcess;
  let size = 0;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bus-whole-log-'));
    const file = path.join(dir, 'events.ndjson');
    // Written as the bus writes it, straight to the file: the fast way to a long log.
    const text = 'w'.repeat(900);
    const lines: string[] = [];
    for (let seq = 1; size < LOG_BYTES; seq++) {
      const line = JSON.stringify({ id: `e${seq}`, seq, type: 'T', data: { text }, at: '2020-01-01T00:00:00.000Z' });
      lines.push(line);
      size += Buffer.byteLength(line) + 1;
    }
    writeFileSync(file, lines.join('\n') + '\n');
    bus = await startBusProcess(file);
  }, 60_000);
  afterAll(async () => {
    await bus?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('streams it whole while the bus stays about as large as before', async () => {
    const before = rss(bus.pid);
    let peak = before;
    let received = 0;
    let first = '';
    let last = '';
    await new Promise<void>((resolve, reject) => {
      http
        .get(`${bus.url}/events`, (res) => {
          res.on('data', (chunk: Buffer) => {
            if (first.length < 20) first += chunk.toString('utf8', 0, 20);
            last = chunk.toString('utf8', chunk.length - 20);
            received += chunk.length;
            peak = Math.max(peak, rss(bus.pid));
          });
          res.on('end', resolve);
          res.on('error', reject);
        })
        .on('error', reject);
    });
    expect(received).toBe(size + 1); // `[`, each line with a comma for its newline, `]` for the last
    expect(first).toMatch(/^\[\{"id":"e1","seq":1,/);
    expect(last).toMatch(/"\}\]$/);
    // A bus that held the answer whole would grow by the log's 64 MB; measured, it grows by 1 or 2.
    const grewMB = Math.round((peak - before) / 1024 / 1024);
    expect(grewMB).toBeLessThan(LOG_BYTES / 4 / 1024 / 1024);
  });
});
