import { natsConf } from '../src/nats-server';

/** The conf of the last server of those listening on `clientPorts`. */
const conf = (clientPorts: number[], routePorts: number[], syncAlways: boolean) =>
  natsConf({ index: clientPorts.length - 1, clientPorts, routePorts, storeDir: '/data/nats', syncAlways });

test('one server: JetStream on file storage, clients log in, no cluster', () => {
  const text = conf([4301], [], false);
  expect(text).toContain('listen: 127.0.0.1:4301\n');
  expect(text).toContain('jetstream {\n  store_dir: "/data/nats"\n}\n');
  expect(text).toContain('authorization { users: [ { user: posts, password: "bench-password" } ] }');
  expect(text).not.toContain('cluster');
});

test('three servers: each listens on its own ports and routes to all three', () => {
  const text = conf([4301, 4302, 4303], [6301, 6302, 6303], false);
  expect(text).toContain('server_name: bench-2\n');
  expect(text).toContain('listen: 127.0.0.1:4303\n');
  expect(text).toContain('  listen: 127.0.0.1:6303\n');
  expect(text).toContain('  routes: [ nats://127.0.0.1:6301, nats://127.0.0.1:6302, nats://127.0.0.1:6303 ]\n');
});

test('every write fsynced before its PubAck only where the server has sync_interval', () => {
  expect(conf([4301], [], true)).toContain('  store_dir: "/data/nats"\n  sync_interval: always\n}');
  expect(conf([4301], [], false)).not.toContain('sync_interval');
});
