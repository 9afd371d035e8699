// A real nats-server with JetStream for tests: Debian's `nats-server` on a free loopback port,
// its store in a temporary folder, clients required to log in.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const NATS_USER = 'posts';
export const NATS_PASS = 'test-password';

/** Why JetStream tests cannot run here, or undefined when they can. CI installs nats-server, so there it must be present. */
export function whyNoNatsServer(): string | undefined {
  const found = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
  if (found.status === 0) return undefined;
  const reason = 'nats-server is not installed (apt-get install nats-server)';
  if (process.env.CI) throw new Error(`${reason}, and CI must run the JetStream tests`);
  return reason;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface NatsServer {
  /** nats://user:pass@127.0.0.1:port */
  url: string;
  stop(): Promise<void>;
}

export async function startNatsServer(): Promise<NatsServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'nats-test-'));
  const port = await freePort();
  const config = path.join(dir, 'nats.conf');
  writeFileSync(
    config,
    `listen: 127.0.0.1:${port}\njetstream { store_dir: "${path.join(dir, 'store')}" }\nauthorization { users: [ { user: ${NATS_USER}, password: ${NATS_PASS} } ] }\n`,
  );
  const child: ChildProcess = spawn('nats-server', ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 10_000;
  while (!/Server is ready/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`nats-server did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    url: `nats://${NATS_USER}:${NATS_PASS}@127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
