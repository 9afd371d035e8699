/**
 * The bus alone, with its log on disk: single-event publishes from concurrent keep-alive
 * connections (plain node:http, not the SDK, which batches by itself), then a SIGKILL and a
 * look at the file for every acknowledged event. Beside it, the raw fsync rate of the same
 * folder, so the ratio says how many publishes shared one flush.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readFileSync, rmSync, statfsSync, writeSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { CommentCreated } from '@posts/contracts';
import { freePorts, request } from '@posts/runtime';
import { percentile } from '@posts/runtime/load';
import { cpuSeconds, startService, waitFor200 } from './processes';

export interface BusResult {
  events: number;
  publishers: number;
  accepted: number;
  errors: number;
  errorsByStatus: Record<string, number>;
  seconds: number;
  perSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  /** Acknowledged events missing from the file after a SIGKILL right after the last 201. */
  missingOnDisk: number;
  /** Lines in the file whose seq is not 1, 2, 3 … in order. */
  outOfOrder: number;
  /** write(≈200 bytes) + fdatasync, back to back, in the same folder. */
  rawFsyncPerSecond: number;
  /** perSecond ÷ rawFsyncPerSecond: publishes acknowledged per flush the disk can do. */
  ratio: number;
  fsType: string;
  /** CPU seconds during the publishes: the bus, and this process (the publishers). */
  cpuSeconds: { bus: number; publishers: number };
}

const FS_TYPES: Record<number, string> = {
  0xef53: 'ext4',
  0x01021994: 'tmpfs',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x794c7630: 'overlayfs',
  0x6969: 'nfs',
};

export function fsType(dir: string): string {
  try {
    const type = statfsSync(dir).type;
    return FS_TYPES[type] ?? `0x${type.toString(16)}`;
  } catch {
    return 'unknown';
  }
}

/** The raw flush rate: one small append and one fdatasync at a time, for `ms`. */
export function rawFsyncRate(dir: string, ms: number): number {
  const file = path.join(dir, 'fsync-probe.ndjson');
  const fd = openSync(file, 'a');
  const line = Buffer.from(
    JSON.stringify({ id: randomUUID(), seq: 0, type: 'Probe', data: { content: 'x'.repeat(110) }, at: new Date().toISOString() }) + '\n',
  );
  let n = 0;
  const start = performance.now();
  try {
    while (performance.now() - start < ms) {
      writeSync(fd, line);
      fdatasyncSync(fd);
      n++;
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  return Math.round(n / ((performance.now() - start) / 1000));
}

/** The bus alone on a fresh log file: `events` publishes from `publishers` connections, a SIGKILL, the file checked. */
export async function runBusBench(o: { workDir: string; events: number; publishers: number; fsyncProbeMs: number }): Promise<BusResult> {
  const dir = mkdtempSync(path.join(o.workDir, 'bus-'));
  const logPath = path.join(dir, 'events.ndjson');
  const [port] = await freePorts(1);
  const bus = startService('event-bus', port, { EVENT_LOG_PATH: logPath, SUBSCRIBERS: '' });
  try {
    await waitFor200(bus, '/readyz', 30_000);
    const agent = new http.Agent({ keepAlive: true, maxSockets: o.publishers });
    const busUrl = new URL(`http://127.0.0.1:${port}`);
    const acknowledged = new Set<string>();
    const latencies: number[] = [];
    const errorsByStatus: Record<string, number> = {};
    const postId = randomUUID();
    let next = 0;
    const busCpu = cpuSeconds(bus.child.pid);
    const selfCpu = process.cpuUsage();
    const start = performance.now();
    // A CommentCreated-sized event, as the services publish them.
    const loop = async () => {
      for (let i = next++; i < o.events; i = next++) {
        const id = randomUUID();
        const event = { type: CommentCreated.type, data: { id, postId, content: `comment ${i}: great post`, status: 'pending' } };
        const t = performance.now();
        const res = await request(agent, busUrl, 'POST', '/events', event);
        latencies.push(performance.now() - t);
        if (res.status === 201) acknowledged.add((JSON.parse(res.body) as { id: string }).id);
        else errorsByStatus[res.status] = (errorsByStatus[res.status] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: o.publishers }, loop));
    const seconds = (performance.now() - start) / 1000;
    const cpu = {
      bus: Math.round((cpuSeconds(bus.child.pid) - busCpu) * 100) / 100,
      publishers: Math.round(((u) => u.user + u.system)(process.cpuUsage(selfCpu)) / 1e4) / 100,
    };
    agent.destroy();
    // Killed with no chance to flush anything more: what the file holds is what was on disk (or in the page cache) at the last 201.
    await bus.stop('SIGKILL');

    const onDisk = new Set<string>();
    let outOfOrder = 0;
    let expectSeq = 1;
    for (const line of readFileSync(logPath, 'utf8').split('\n')) {
      if (!line) continue;
      const e = JSON.parse(line) as { id: string; seq: number };
      if (e.seq !== expectSeq++) outOfOrder++;
      onDisk.add(e.id);
    }
    let missingOnDisk = 0;
    for (const id of acknowledged) if (!onDisk.has(id)) missingOnDisk++;

    const rawFsyncPerSecond = rawFsyncRate(dir, o.fsyncProbeMs);
    const perSecond = Math.round(acknowledged.size / seconds);
    latencies.sort((a, b) => a - b);
    const r1 = (n: number) => Math.round(n * 10) / 10;
    return {
      events: o.events,
      publishers: o.publishers,
      accepted: acknowledged.size,
      errors: o.events - acknowledged.size,
      errorsByStatus,
      seconds: Math.round(seconds * 100) / 100,
      perSecond,
      latencyMs: { p50: r1(percentile(latencies, 50)), p99: r1(percentile(latencies, 99)), max: r1(latencies.at(-1) ?? 0) },
      missingOnDisk,
      outOfOrder,
      rawFsyncPerSecond,
      ratio: Math.round((perSecond / Math.max(1, rawFsyncPerSecond)) * 10) / 10,
      fsType: fsType(dir),
      cpuSeconds: cpu,
    };
  } finally {
    await bus.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
