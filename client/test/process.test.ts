/** @jest-environment node */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

// Runs the real entry point from source, so the test needs no build first.
const ENTRY = path.join(__dirname, '..', 'src', 'server', 'index.ts');

const started: ChildProcess[] = [];

function startServer(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', ENTRY], {
    env: { ...process.env, TS_NODE_PROJECT: path.join(__dirname, '..', 'tsconfig.json'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  return child;
}

// A failed assertion must not leave a server running.
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

function logLine(child: ChildProcess, msg: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n').find((candidate) => candidate.includes(`"msg":"${msg}"`));
      if (line) resolve(JSON.parse(line));
    });
    child.on('exit', () => reject(new Error(`exited before logging "${msg}": ${buffered}`)));
  });
}

jest.setTimeout(30_000);

it('exits 1 with a clear message on a bad PORT', async () => {
  const child = startServer({ PORT: 'not-a-port' });
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  expect(await exitOf(child)).toBe(1);
  expect(output.join('')).toContain('PORT must be a whole number');
});

it('serves /healthz and exits 0 on SIGTERM', async () => {
  const child = startServer({ PORT: '0', HOST: '127.0.0.1' });
  const exited = exitOf(child);
  const { port } = await logLine(child, 'listening');
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  expect(res.status).toBe(200);
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
});
