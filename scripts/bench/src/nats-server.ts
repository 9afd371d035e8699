/** One nats-server (R1) or three in a cluster (R3) on loopback, with a user as infra/k8s-nats has. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePorts, installedNatsServer as installed } from '@posts/runtime';
import { kill, startProcess } from './processes';

export const NATS_USER = 'posts';
export const NATS_PASSWORD = 'bench-password';

/** The installed nats-server: its version, and whether it can fsync every write (`sync_interval`, 2.10 and later). */
export function installedNatsServer() {
  const version = installed();
  if (!version) return undefined;
  const [major, minor] = version;
  return { version: version.join('.'), syncAlways: major > 2 || (major === 2 && minor >= 10) };
}

export function natsConf(o: { index: number; clientPorts: number[]; routePorts: number[]; storeDir: string; syncAlways: boolean }): string {
  const lines = [
    // JetStream knows a server of a cluster by its name.
    `server_name: bench-${o.index}`,
    `listen: 127.0.0.1:${o.clientPorts[o.index]}`,
    `jetstream {`,
    `  store_dir: "${o.storeDir}"`,
    ...(o.syncAlways ? ['  sync_interval: always'] : []),
    `}`,
    `authorization { users: [ { user: ${NATS_USER}, password: "${NATS_PASSWORD}" } ] }`,
  ];
  if (o.clientPorts.length > 1) {
    // Every server in the routes, itself included (a server skips a route to itself).
    const routes = o.routePorts.map((port) => `nats://127.0.0.1:${port}`).join(', ');
    lines.push(`cluster {`, `  name: bench`, `  listen: 127.0.0.1:${o.routePorts[o.index]}`, `  routes: [ ${routes} ]`, `  no_advertise: true`, `}`);
  }
  return lines.join('\n') + '\n';
}

/** Starts `count` servers (3: a cluster) with their stores under `dir`, and waits until each says it is ready. */
export async function startNatsServers(dir: string, count: number, syncAlways: boolean) {
  const clientPorts = await freePorts(count);
  const routePorts = count > 1 ? await freePorts(count) : [];
  const started = await Promise.allSettled(
    clientPorts.map((_, index) => {
      const storeDir = path.join(dir, `nats-${index}`);
      mkdirSync(storeDir, { recursive: true });
      const conf = path.join(storeDir, 'nats.conf');
      writeFileSync(conf, natsConf({ index, clientPorts, routePorts, storeDir, syncAlways }));
      // Under the guard, as the launcher runs it: nats-server cannot notice by itself that the bench is gone.
      const spec = { name: `nats-server ${index}`, command: 'nats-server', args: ['-c', conf], cwd: storeDir, env: { PATH: process.env.PATH }, guard: true };
      return startProcess(spec, (output) => /Server is ready/.test(output), 15_000);
    }),
  );
  const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  // SIGKILL: nothing here needs a clean stop, and the stores are removed with the folder.
  const stop = async () => void (await Promise.all(servers.map(kill)));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  // One URL per server, comma-separated.
  const url = clientPorts.map((port) => `nats://${NATS_USER}:${NATS_PASSWORD}@127.0.0.1:${port}`).join(',');
  return { url, pids: servers.map((s) => s.pid()!), stop };
}
export type NatsServerVersion = NonNullable<ReturnType<typeof installedNatsServer>>;
export type NatsServers = Awaited<ReturnType<typeof startNatsServers>>;
