/**
 * The real service (src/index.ts, as `npm run dev` runs it) in a process of its own, fed by a test bus: an open
 * live stream must not hold its SIGTERM shutdown until the 10 s force timeout, which would exit 1.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { connectBus } from '@posts/bus-client';
import '@posts/bus-http';
import { until } from '@posts/kit/testing';
import { startTestBus, type TestBus } from 'event-bus/testing';
import { openStream } from './support';

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = http.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });

const status = (url: string) =>
  new Promise<number>((resolve) =>
    http
      .get(url, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', () => resolve(0)),
  );

describe('query, the process', () => {
  let bus: TestBus;
  afterEach(() => bus?.close());

  it('streams what the bus delivers, with its seq, and on SIGTERM ends open streams and exits 0 at once', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    bus = await startTestBus([`${url}/events`]);
    await connectBus(bus.url).publish({ type: 'PostCreated', data: { id: 'p1', title: 'Before' } });
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/index.ts'], {
      cwd: path.resolve(__dirname, '..'),
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', EVENT_BUS_URL: bus.url, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    try {
      await until('query ready', async () => (await status(`${url}/readyz`)) === 200, 60_000);
      const stream = await openStream(`${url}/posts/live`);
      expect(await stream.next(1)).toEqual([{ id: '1', event: 'start', data: '{"seq":1}' }]);
      await connectBus(bus.url).publish({ type: 'PostCreated', data: { id: 'p2', title: 'Live' } });
      expect((await stream.next(2))[1]).toEqual({ id: '2', event: 'post', data: '{"id":"p2","title":"Live"}' });

      const started = Date.now();
      child.kill('SIGTERM');
      await stream.ended;
      expect(await exited).toBe(0);
      expect(Date.now() - started).toBeLessThan(5000); // not the 10 s force timeout (which exits 1)
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 90_000);

  it('exits 1 with one clear line when the bus comes back with another log, to be started afresh from it', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    bus = await startTestBus([`${url}/events`]);
    await connectBus(bus.url).publish({ id: 'first-log', type: 'PostCreated', data: { id: 'p1', title: 'Before' } });
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/index.ts'], {
      cwd: path.resolve(__dirname, '..'),
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', EVENT_BUS_URL: bus.url, LOG_LEVEL: 'fatal' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | string | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    try {
      await until('query ready', async () => (await status(`${url}/readyz`)) === 200, 60_000);
      // A bus without a log file restarts with a new log, and delivers its first event.
      const busPort = Number(new URL(bus.url).port);
      await bus.close();
      bus = await startTestBus([`${url}/events`], undefined, busPort);
      await connectBus(bus.url).publish({ id: 'second-log', type: 'PostCreated', data: { id: 'p2', title: 'After' } });
      expect(await exited).toBe(1);
      expect(
        output
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as unknown),
      ).toEqual([
        expect.objectContaining({
          msg: 'query cannot go on: These events come from another log than the one this service was built from. Exiting, to be started afresh.',
          err: expect.objectContaining({ logs: { was: 'first-log', now: 'second-log' } }),
        }),
      ]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 90_000);
});
