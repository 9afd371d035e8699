import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';

const RANGE = '/proc/sys/net/ipv4/ip_local_port_range';
/** The first port the kernel gives outgoing connections: Linux's setting, elsewhere 32768 or above. */
const ephemeralLow = () => (existsSync(RANGE) ? Number(readFileSync(RANGE, 'utf8').trim().split(/\s+/)[0]) : 32768);

// Above the well-known and the usual development ports.
const LOWEST = 10_000;

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** Below the kernel's range for outgoing connections, where any connection could take a port before the service binds it. */
export async function freePorts(count: number): Promise<number[]> {
  const top = Math.max(LOWEST + count * 10, ephemeralLow() - 1);
  const ports = new Set<number>();
  for (let tries = 0; ports.size < count; tries++) {
    if (tries > count * 100) throw new Error(`found ${ports.size} of ${count} free ports in ${LOWEST}–${top}`);
    const port = LOWEST + Math.floor(Math.random() * (top - LOWEST + 1));
    if (!ports.has(port) && (await canListen(port))) ports.add(port);
  }
  return [...ports];
}
