import { readFileSync } from 'node:fs';
import net from 'node:net';

/** The lowest port the kernel gives outgoing connections (Linux's ip_local_port_range; 32768 where it cannot be read). */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 2048 ? low : 32768;
  } catch {
    return 32768;
  }
}

/** Lowest port handed out: above the well-known and the usual development ports. */
const LOWEST = 10_000;

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * Free loopback ports, distinct, below the range the kernel takes ports from for outgoing connections: a port
 * from that range, free when asked, can be taken by any connection before the service binds it, and held for as
 * long as that connection lives.
 */
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
