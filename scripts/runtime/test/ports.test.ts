import { readFileSync } from 'node:fs';
import net from 'node:net';
import { freePorts } from '../src/ports';

const listen = (port: number) =>
  new Promise<net.Server>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });

test('free ports are distinct, can be listened on, and lie below the range outgoing connections take theirs from', async () => {
  const ports = await freePorts(40);
  expect(new Set(ports).size).toBe(40);
  const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  for (const port of ports) {
    expect(port).toBeGreaterThanOrEqual(10_000);
    expect(port).toBeLessThan(low);
  }
  const servers = await Promise.all(ports.map(listen));
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});
