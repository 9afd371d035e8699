/**
 * infra/k8s-nats's nats.conf as the overlay renders it, run: three nats-server processes with the ConfigMap's configuration and the
 * environment the StatefulSet gives each pod (its name, the Secret's passwords, quoted), and the backends
 * logging in with the EVENT_BUS_URL Kubernetes composes for them, through the SDK's JetStream transport.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { JetStreamTransport } from '../../lib/bus-jetstream/src/jetstream-transport';
import { installedNatsServer, startCluster, type LocalCluster } from './k8s-nats-cluster';
import { BACKENDS, NATS_USERS, expandEnv, named, objects, type EnvVar } from './k8s-nats-set';

const statefulSet = named('StatefulSet', 'nats');
const natsContainer = statefulSet.spec.template.spec.containers[0];
const envOf = (svc: string): EnvVar[] => named('Deployment', `${svc}-depl`).spec.template.spec.containers[0].env;
const WRITERS = ['posts', 'comments', 'moderation'];
const STREAM = 'EVENTS';

/** The Secret nats-users as `kubectl create secret` makes it; posts's password starts with digits and an "e", which nats.conf reads as a number unless quoted. */
const secret: Record<string, string> = Object.fromEntries(NATS_USERS.map((user) => [user, randomBytes(24).toString('hex')]));
secret.posts = `12e4${secret.posts.slice(4)}`;

const installed = installedNatsServer();
if ('reason' in installed) {
  console.warn(`NATS cluster test skipped: ${installed.reason}`);
  it.skip(`NATS cluster: ${installed.reason}`, () => undefined);
} else {
  describe(`nats.conf on three local nats-server ${installed.version.join('.')} processes`, () => {
    jest.setTimeout(30_000);
    let cluster: LocalCluster;
    const connections: NatsConnection[] = [];
    const transports: JetStreamTransport[] = [];
    /** Its EVENT_BUS_URL, the pods' names (nats-<n>.nats:4222, as the headless Service resolves them) pointed at the local servers. */
    const busUrlOf = (svc: string): string => cluster.local(expandEnv(envOf(svc), { secrets: { 'nats-users': secret }, fields: {} }).EVENT_BUS_URL);
    const transportOf = (svc: string, url = busUrlOf(svc), consumerPrefix?: string): JetStreamTransport => {
      // Three copies of the log, one per server: what the stream must be in this cluster.
      const transport = new JetStreamTransport(url, { replicas: 3, timeoutMs: 5_000, consumerPrefix });
      transports.push(transport);
      return transport;
    };
    const login = async (svc: string): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> => {
      const nc = await connect({ servers: `127.0.0.1:${cluster.servers[0].ports.client}`, user: svc, pass: secret[svc], reconnect: false });
      connections.push(nc);
      return { nc, jsm: await jetstreamManager(nc, { timeout: 5_000 }) };
    };
    /** Retried as the SDK retries a publish (the id makes it idempotent) or a subscriber a read, while a server leaves and leaders are elected. */
    const soon = async <T>(attempt: () => Promise<T>): Promise<T> => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        try {
          return await attempt();
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    };
    const appendSoon = (transport: JetStreamTransport, events: ReturnType<typeof event>[]) => soon(() => transport.append(events));
    const event = (svc: string, n: number) => ({ id: `${svc}-${n}`, type: 'PostCreated', data: { id: `${svc}-${n}`, title: `by ${svc}` } });

    beforeAll(async () => {
      cluster = await startCluster(objects, { 'nats-users': secret }, installed.version);
      expect(cluster.servers).toHaveLength(statefulSet.spec.replicas);
      await cluster.healthy();
    }, 60_000);

    afterAll(async () => {
      await Promise.all(transports.map((t) => t.close()));
      await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)));
      await cluster?.stop();
    });

    test('the installed server reads nats.conf as it is (less what it predates), and needs the passwords quoted', () => {
      const { confFile: file, env } = cluster.servers[0];
      const check = (environment: Record<string, string>) => spawnSync('nats-server', ['-t', '-c', file], { encoding: 'utf8', env: environment });
      const leftOut = cluster.leftOut;
      expect(check(env).status).toBe(0);
      // Only what 2.10 brought may be left out, and only for an older server.
      for (const option of leftOut) expect(option).toMatch(/^jetstream\.sync_interval /);
      if (leftOut.length === 0) expect(fs.readFileSync(file, 'utf8')).toContain('sync_interval: always');
      // Unquoted, posts's password (digits, then "e") is no string to nats.conf: the server refuses the configuration.
      expect(check({ ...env, POSTS_PASSWORD_QUOTED: secret.posts }).status).not.toBe(0);
    });

    test('the three servers form the cluster posts-com, and each answers the probes the StatefulSet names', async () => {
      const probes = ['startupProbe', 'readinessProbe', 'livenessProbe'].map((p) => natsContainer[p].httpGet.path as string);
      for (const [i, server] of cluster.servers.entries()) {
        for (const probe of probes)
          expect({ server: server.name, probe, status: (await cluster.monitor(i, probe)).status }).toEqual({ server: server.name, probe, status: 200 });
        const varz = JSON.parse((await cluster.monitor(i, '/varz')).body);
        expect({ name: varz.server_name, cluster: varz.cluster.name }).toEqual({ name: `nats-${i}`, cluster: 'posts-com' });
        expect(JSON.parse((await cluster.monitor(i, '/routez')).body).num_routes).toBe(2);
      }
    });

    test('an anonymous client and a wrong password are refused', async () => {
      const servers = `127.0.0.1:${cluster.servers[1].ports.client}`;
      await expect(connect({ servers, reconnect: false })).rejects.toThrow(/authorization/i);
      await expect(connect({ servers, user: 'posts', pass: secret.comments, reconnect: false })).rejects.toThrow(/authorization/i);
      await expect(connect({ servers, user: 'event-bus', pass: secret.posts, reconnect: false })).rejects.toThrow(/authorization/i);
    });

    test('posts, comments and moderation append to the log with their EVENT_BUS_URL, and every backend reads it back', async () => {
      for (const svc of WRITERS) {
        const [ack] = await transportOf(svc).append([event(svc, 1)]);
        expect(ack).toMatchObject({ id: `${svc}-1`, duplicate: false });
      }
      for (const svc of BACKENDS) {
        const page = await transportOf(svc).read(0, 100);
        expect({ svc, ids: page.events.map((e) => e.id) }).toEqual({ svc, ids: WRITERS.map((w) => `${w}-1`) });
      }
      const { jsm } = await login('query');
      const info = await jsm.streams.info(STREAM);
      expect(info.config.num_replicas).toBe(3);
      expect(info.cluster?.replicas?.map((r) => r.current)).toEqual([true, true]);
    });

    test('query may read the log but not append to it', async () => {
      await expect(transportOf('query').append([event('query', 1)])).rejects.toThrow();
      const { nc } = await login('query');
      await expect(nc.request('events.PostCreated', '{}', { timeout: 2_000 })).rejects.toThrow(/permissions violation/i);
      expect((await transportOf('posts').read(0, 100)).events.map((e) => e.id)).not.toContain('query-1');
    });

    test("the client's console reads the log and lists the followers with its EVENT_BUS_URL, and may not append nor make a stream", async () => {
      // query follows the stream as a service does: its consumer is named after it.
      const applied: number[] = [];
      transportOf('query', busUrlOf('query'), 'query').follow(
        {
          receive: async (delivery) => {
            applied.push((delivery as { seq: number }).seq);
            return { ack: applied.at(-1)! };
          },
        },
        () => applied.at(-1) ?? 0,
      );
      const watcher = transportOf('client');
      expect((await watcher.read(0, 100)).events.map((e) => e.id)).toEqual(WRITERS.map((w) => `${w}-1`));
      const followers = await soon(async () => {
        const states = await watcher.subscriptions();
        if (!states.some((s) => s.name.startsWith('query-') && s.backlog === 0)) throw new Error('no caught-up query follower yet');
        return states;
      });
      // The page it read is no subscriber.
      expect(followers.map((s) => s.name)).toEqual([expect.stringMatching(/^query-/)]);
      expect(followers[0]).toMatchObject({ cursor: WRITERS.length, backlog: 0 });

      await expect(watcher.append([event('client', 1)])).rejects.toThrow();
      const { nc, jsm } = await login('client');
      await expect(nc.request('events.PostCreated', '{}', { timeout: 2_000 })).rejects.toThrow(/permissions violation/i);
      await expect(jsm.streams.add({ name: 'OTHER', subjects: ['other.>'] })).rejects.toThrow(/permissions violation/i);
      expect((await transportOf('posts').read(0, 100)).events.map((e) => e.id)).not.toContain('client-1');
    });

    test('no user may delete, purge or change the stream, nor delete an event', async () => {
      for (const svc of NATS_USERS) {
        const { jsm } = await login(svc);
        const attempts: [string, () => Promise<unknown>][] = [
          ['delete', () => jsm.streams.delete(STREAM)],
          ['purge', () => jsm.streams.purge(STREAM)],
          ['delete a message', () => jsm.streams.deleteMessage(STREAM, 1)],
          ['update', () => jsm.streams.update(STREAM, { max_msgs: 1 })],
        ];
        for (const [what, attempt] of attempts) {
          await expect(attempt().then(() => `${svc} could ${what}`)).rejects.toThrow(/permissions violation/i);
        }
      }
      expect((await transportOf('query').read(0, 100)).events).toHaveLength(WRITERS.length);
    });

    test('no user may subscribe to events beside its JetStream consumer', async () => {
      for (const svc of NATS_USERS) {
        const { nc } = await login(svc);
        const subscription = nc.subscribe('events.>');
        expect(String(await subscription.closed)).toMatch(/permissions violation/i);
      }
    });

    test("the log takes writes while a server is in lame-duck mode (the pod's preStop) and then gone, and the server catches up when it comes back", async () => {
      const posts = transportOf('posts');
      const leaving = cluster.servers[2];
      // The preStop command as the StatefulSet writes it, with this server's pid file.
      const [command, ...args] = natsContainer.lifecycle.preStop.exec.command as string[];
      const signal = spawnSync(
        command,
        args.map((a) => a.replace(/^ldm=.*$/, `ldm=${leaving.pidFile}`)),
        { encoding: 'utf8' },
      );
      expect(signal.status).toBe(0);
      const deadline = Date.now() + 5_000;
      while (!/lame duck mode/i.test(leaving.log()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(leaving.log()).toMatch(/lame duck mode/i);
      expect((await appendSoon(posts, [event('posts', 2)]))[0].duplicate).toBe(false);

      await leaving.kill('SIGKILL');
      expect((await appendSoon(posts, [event('posts', 3)]))[0].duplicate).toBe(false);
      // A read may meet the metadata leader's election (it was on the killed server): the subscriber retries it.
      expect((await soon(() => posts.read(0, 100))).events.map((e) => e.id)).toEqual(expect.arrayContaining(['posts-2', 'posts-3']));

      await leaving.start();
      // The startup probe's check: passes once its copy of the stream is current.
      await cluster.healthy([2]);
      const alone = busUrlOf('query')
        .split(',')
        .filter((u) => u.endsWith(`:${leaving.ports.client}`))
        .join(',');
      const page = await soon(() => transportOf('query', alone).read(0, 100));
      expect(page.events.map((e) => e.id)).toEqual([...WRITERS.map((w) => `${w}-1`), 'posts-2', 'posts-3']);
    }, 60_000);
  });
}
