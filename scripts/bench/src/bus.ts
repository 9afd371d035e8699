/** The bus alone with its log on disk; plain node:http, not the SDK, which batches by itself. */
import { randomUUID } from 'node:crypto';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { RequestSigner, SIGNATURE_HEADER } from '@posts/bus-http';
import { freePorts, request } from '@posts/runtime';
import { cpuSeconds, kill, ownCpuSeconds, startService } from './processes';
import { commentCreated, runPublishers, type PublishedEvent, type PublishFigures } from './publishers';
import { WARMUP_PUBLISHES } from './sizes';

export interface BusResult extends PublishFigures {
  /** Acknowledged events missing from the file after a SIGKILL right after the last 201. */
  missingOnDisk: number;
  /** Lines in the file whose seq is not 1, 2, 3 … in order. */
  outOfOrder: number;
  /** write(≈200 bytes) + fdatasync, back to back, in the same folder. */
  rawFsyncPerSecond: number;
  /** perSecond ÷ rawFsyncPerSecond: publishes acknowledged per flush the disk can do. */
  ratio: number;
  /** CPU seconds during the publishes: the bus, and this process (the publishers). */
  cpuSeconds: { bus: number; publishers: number };
}

/** The raw flush rate: one small append and one fdatasync at a time, for `ms`. */
export function rawFsyncRate(dir: string, ms: number): number {
  const file = path.join(dir, 'fsync-probe.ndjson');
  const fd = openSync(file, 'a');
  const line = Buffer.from('x'.repeat(199) + '\n');
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

/** `events` publishes on a fresh log, a SIGKILL, the file checked; with `secret`, BUS_SECRET is set and every publish signed. */
export async function runBusBench(o: { workDir: string; events: number; publishers: number; secret?: string }): Promise<BusResult> {
  const dir = mkdtempSync(path.join(o.workDir, 'bus-'));
  const logPath = path.join(dir, 'events.ndjson');
  const [port] = await freePorts(1);
  const bus = await startService('event-bus', port, { EVENT_LOG_PATH: logPath, SUBSCRIBERS: '', ...(o.secret ? { BUS_SECRET: o.secret } : {}) });
  try {
    const agent = new http.Agent({ keepAlive: true, maxSockets: o.publishers });
    const signer = o.secret ? new RequestSigner(o.secret) : undefined;
    const acknowledged = new Set<string>();
    const post = (event: PublishedEvent, sign: boolean) => {
      // The bytes signed are the bytes sent, as the SDK's HTTP transport does: `request` sends JSON.stringify(event).
      const body = Buffer.from(JSON.stringify(event));
      const signature = sign && signer ? { [SIGNATURE_HEADER]: signer.sign({ method: 'POST', path: '/events', body }) } : {};
      return request(agent, new URL(`http://127.0.0.1:${port}`), 'POST', '/events', event, 30_000, signature);
    };
    const publish = async (_p: number, event: PublishedEvent) => {
      const res = await post(event, true);
      if (res.status !== 201) return String(res.status);
      acknowledged.add((JSON.parse(res.body) as { id: string }).id);
      return undefined;
    };
    // A signed run means something only if the bus refuses what is not signed.
    if (signer && (await post(commentCreated(0, randomUUID()), false)).status !== 401) {
      throw new Error('the bus took an unsigned publish: it is not running with BUS_SECRET');
    }
    // Untimed first, as before each JetStream run: the timed run does not pay for a cold bus.
    await runPublishers(WARMUP_PUBLISHES, o.publishers, publish);
    const busCpu = cpuSeconds(bus.pid());
    const selfCpu = process.cpuUsage();
    const figures = await runPublishers(o.events, o.publishers, publish);
    const cpu = { bus: Math.round((cpuSeconds(bus.pid()) - busCpu) * 100) / 100, publishers: ownCpuSeconds(selfCpu) };
    agent.destroy();
    // Killed with no chance to flush anything more: what the file holds is what was on disk (or in the page cache) at the last 201.
    await kill(bus);

    const logged = readFileSync(logPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { id: string; seq: number });
    const outOfOrder = logged.filter((e, i) => e.seq !== i + 1).length;
    const onDisk = new Set(logged.map((e) => e.id));
    const missingOnDisk = [...acknowledged].filter((id) => !onDisk.has(id)).length;

    const rawFsyncPerSecond = rawFsyncRate(dir, 2000);
    const ratio = Math.round((figures.perSecond / Math.max(1, rawFsyncPerSecond)) * 10) / 10;
    return { ...figures, missingOnDisk, outOfOrder, rawFsyncPerSecond, ratio, cpuSeconds: cpu };
  } finally {
    await kill(bus);
    rmSync(dir, { recursive: true, force: true });
  }
}
