// The SDK's metrics as a scrape shows them: what each subscriber applied, how far behind it is, how
// long publishes take, and reactions that failed.
import { metricsRegistry } from '@posts/kit';
import pino from 'pino';
import { z } from 'zod';
import { Bus, MemoryTransport, on, type EventType } from '../src';

const Item: EventType<{ n: number }> = { type: 'Item', schema: z.object({ n: z.number() }), idOf: (d) => `Item:${d.n}` };
const logger = pino({ level: 'silent' });

/** One sample's value in the registry's text, or undefined. */
async function sample(line: string): Promise<number | undefined> {
  const text = await metricsRegistry.metrics();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

it('counts what each subscriber applied by type, its last seq, its lag, publishes and failed reactions', async () => {
  const log = new MemoryTransport();
  const client = new Bus(log, { logger, service: 'tests' });
  await client.publish(Item, { n: 1 });
  await client.publish(Item, { n: 2 });
  await client.publish({ type: 'Unhandled', data: {} });
  let reactions = 0;
  const subscriber = client.subscribe({
    handlers: [on(Item, () => undefined)],
    logger,
    react: async () => {
      if (reactions++ === 0) throw new Error('the first reaction fails');
    },
  });
  await subscriber.start();
  for (let i = 0; i < 200 && reactions < 2; i++) await new Promise((r) => setTimeout(r, 25));
  // A second subscriber of the same service (as tests make) is another series, not a replacement of the first.
  const behind = new Bus(new MemoryTransport(), { logger, service: 'tests' }).subscribe({ handlers: [on(Item, () => undefined)], logger });

  expect(await sample('sdk_events_applied_total{subscriber="tests",type="Item"}')).toBe(2);
  // An event with no handler is acknowledged, not applied.
  expect(await sample('sdk_events_applied_total{subscriber="tests",type="Unhandled"}')).toBeUndefined();
  expect(await sample('sdk_last_applied_seq{subscriber="tests"}')).toBe(3);
  expect(await sample('sdk_lag_events{subscriber="tests"}')).toBe(0);
  expect(await sample('sdk_last_applied_seq{subscriber="tests-2"}')).toBe(0);
  expect(await sample('sdk_publish_duration_seconds_count')).toBe(3);
  expect(await sample('sdk_reactions_failed_total{subscriber="tests"}')).toBe(1);
  // A log that keeps no subscription per process (the HTTP bus, this one) leaves the per-subscriber figures to the log.
  expect(await metricsRegistry.metrics()).not.toMatch(/^bus_subscriber_cursor\{/m);

  // A stopped subscriber is no longer described.
  await Promise.all([subscriber.stop(), behind.stop()]);
  expect(await sample('sdk_last_applied_seq{subscriber="tests"}')).toBeUndefined();
  await client.close();
});
