import { spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

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
