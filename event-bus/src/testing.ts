// A real bus for tests: the bus's own app and an in-memory log on a free loopback port.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { RequestSigner, SignatureGuard } from '@posts/bus-http';
import pino from 'pino';
import { createApp } from './app';
import { Delivery, type DeliveryOptions } from './delivery';
import { EventLog } from './log';

export interface TestBusOptions extends DeliveryOptions {
  /** BUS_SECRET: only signed publishes and reads are taken, and deliveries are signed. Unset is open mode. */
  secret?: string;
}

export interface TestBus {
  url: string;
  log: EventLog;
  /** What refuses unsigned requests (and counts them) when the bus has a secret. */
  guard: SignatureGuard;
  /** Every event in the log, parsed. */
  events(): Array<{ id: string; seq: number; type: string; data: Record<string, unknown>; requestId?: string; traceparent?: string; source?: string }>;
  close(): Promise<void>;
}

/** Starts a bus on 127.0.0.1; `subscribers` get deliveries as in production. */
export async function startTestBus(subscribers: string[] = [], log = EventLog.inMemory(), port = 0, options: TestBusOptions = {}): Promise<TestBus> {
  const { secret, ...delivery } = options;
  const logger = pino({ level: 'silent' });
  const signer = secret ? new RequestSigner(secret) : undefined;
  const guard = new SignatureGuard(signer, logger);
  const deliveries = subscribers.map((url) => new Delivery(url, log, logger, { backoffBaseMs: 20, backoffCapMs: 200, signer, ...delivery }));
  log.on('durable', () => deliveries.forEach((d) => d.kick()));
  deliveries.forEach((d) => d.kick());
  const server: Server = await new Promise((resolve) => {
    const s = createApp({ log, deliveries, logger, guard }).listen(port, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    guard,
    events: () => log.linesAfter(0).map((line) => JSON.parse(line)),
    async close() {
      await Promise.all(deliveries.map((d) => d.stop()));
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
