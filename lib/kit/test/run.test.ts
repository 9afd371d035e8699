import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const free = net.createServer();
  await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
  const port = (free.address() as net.AddressInfo).port;
  await new Promise((resolve) => free.close(resolve));
  return port;
}

/** The start of a script that runs a service on the kit: `runService`, `createServiceApp` and a silent `logger`. */
const demoService = `
  const { runService, createLogger, createServiceApp } = require(${JSON.stringify(path.join(__dirname, '../src'))});
  const logger = createLogger('demo', 'silent');
`;

// A service whose port is taken exits 1 with one line that says why, instead of an unhandled rejection.
it('exits 1 with a clear line when it cannot listen', async () => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as net.AddressInfo).port;
  const script = `
    const { runService, createLogger } = require(${JSON.stringify(path.join(__dirname, '../src'))});
    const express = require('express');
    runService(express(), { name: 'demo', port: ${port}, host: '127.0.0.1', logger: createLogger('demo', 'silent') });
  `;
  const run = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
    cwd: path.join(__dirname, '..'),
  });
  taken.close();
  expect(run.status).toBe(1);
  expect(run.stderr.trim()).toMatch(/^demo: cannot start: listen EADDRINUSE/);
});

// A request whose headers end after SIGTERM (a probe, a kept-alive peer) is answered, with "Connection: close", and the service still exits 0.
it('answers a request that arrives while it drains, and exits 0', async () => {
  const port = await freePort();
  const script = `
    ${demoService}
    runService(createServiceApp({ logger, isReady: () => true }), { name: 'demo', port: ${port}, host: '127.0.0.1', logger, start: async () => console.log('listening') });
  `;
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
    cwd: path.join(__dirname, '..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  await new Promise((resolve) => child.stdout!.once('data', resolve));
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write('GET /healthz HTTP/1.1\r\nHost: demo\r\n');
  await new Promise((resolve) => setTimeout(resolve, 100));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 50));
  const answer = new Promise<string>((resolve) => socket.once('data', (d) => resolve(d.toString())));
  socket.write('\r\n');
  expect(await answer).toMatch(/^HTTP\/1.1 200 OK\r\n(.*\r\n)*connection: close\r\n/i);
  socket.destroy();
  expect({ code: await exited, stderr }).toEqual({ code: 0, stderr: '' });
}, 30_000);
