/** @jest-environment node */
import { spawn, type ChildProcess } from 'node:child_process';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';

// Runs the real entry point from source, the kit too, so the test needs no build first.
const ENTRY = path.join(__dirname, '..', 'src', 'server', 'index.ts');
const KIT_FROM_SOURCE = path.join(__dirname, 'kit-from-source.js');

const started: ChildProcess[] = [];

function startServer(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', KIT_FROM_SOURCE, ENTRY], {
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

/** Everything the process wrote to stdout (its log) or stderr (why it could not start) so far. */
function collectOutput(child: ChildProcess, stream: 'stdout' | 'stderr' = 'stdout'): string[] {
  const output: string[] = [];
  child[stream]?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  return output;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls until the server answers, or fails after the deadline. */
async function answering(url: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (
      await fetch(url).then(
        () => true,
        () => false,
      )
    )
      return;
    if (Date.now() > deadline) throw new Error(`${url} never answered`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

jest.setTimeout(30_000);

it('exits 1 naming the variable on a bad PORT', async () => {
  const child = startServer({ PORT: 'not-a-port' });
  const errors = collectOutput(child, 'stderr');
  expect(await exitOf(child)).toBe(1);
  expect(errors.join('')).toMatch(/^client: invalid configuration\n\s+PORT: /);
});

it('serves /healthz and exits 0 on SIGTERM', async () => {
  const port = await freePort();
  const child = startServer({ PORT: String(port), HOST: '127.0.0.1' });
  const exited = exitOf(child);
  await answering(`http://127.0.0.1:${port}/healthz`);
  const res = await fetch(`http://127.0.0.1:${port}/healthz`);
  expect(res.status).toBe(200);
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
});

it('exits 1 naming the variable on a bad LOG_LEVEL', async () => {
  const child = startServer({ PORT: String(await freePort()), LOG_LEVEL: 'nonsense' });
  const errors = collectOutput(child, 'stderr');
  expect(await exitOf(child)).toBe(1);
  expect(errors.join('')).toMatch(/^client: invalid configuration\n\s+LOG_LEVEL: /);
});

it('with LOG_LEVEL=warn, writes warnings but no info lines, for requests or otherwise', async () => {
  const port = await freePort();
  const child = startServer({ PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' });
  const output = collectOutput(child);
  const exited = exitOf(child);
  await answering(`http://127.0.0.1:${port}/healthz`);
  expect((await fetch(`http://127.0.0.1:${port}/nothing-here`)).status).toBe(404);
  child.kill('SIGTERM');
  expect(await exited).toBe(0);

  const lines = output
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  // pino's level 40 is warn.
  expect(lines).toEqual([expect.objectContaining({ level: 40, service: 'client', msg: 'request completed', url: '/nothing-here', status: 404 })]);
});
