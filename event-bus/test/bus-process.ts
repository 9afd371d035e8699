// The built bus as its own process, as it runs in production: for what only a process shows
// (a restart, its memory, a real disk).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface BusProcess {
  url: string;
  pid: number;
  /** What it printed, for a failure to show. */
  output(): string;
  stop(): Promise<void>;
}

const entry = path.join(__dirname, '..', 'dist', 'index.js');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Starts `dist/index.js` with its log in `logPath` and no subscribers; resolves once it is ready. */
export async function startBusProcess(logPath: string): Promise<BusProcess> {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build the bus first (npm run build --workspace event-bus)`);
  const port = await freePort();
  const child = spawn(process.execPath, [entry], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', SUBSCRIBERS: '', EVENT_LOG_PATH: logPath, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    const gone = await Promise.race([exited, sleep(20, undefined)]);
    if (gone !== undefined) throw new Error(`the bus exited (${gone}) before it was ready:\n${output}`);
    const ready = await fetch(`${url}/readyz`).then(
      (res) => res.ok,
      () => false,
    );
    if (ready) break;
  }
  return {
    url,
    pid: child.pid!,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
