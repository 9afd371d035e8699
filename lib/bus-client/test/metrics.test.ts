// The SDK's metrics as a scrape shows them: what a subscriber applied, how far behind it is, how
// long publishes take, and reactions that failed.
import { metricsRegistry } from '@posts/kit';
import pino from 'pino';
import { z } from 'zod';
import { startTestBus, type TestBus } from 'event-bus/testing';
import { connectBus, on, type EventType } from '../src';

const Item: EventType<{ n: number }> = { type: 'Item', schema: z.object({ n: z.number() }), idOf: (d) => `Item:${d.n}` };
const logger = pino({ level: 'silent' });

/** One sample's value in the registry's text, or undefined. */
async function sample(line: string): Promise<number | undefined> {
  const text = await metricsRegistry.metrics();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

let bus: TestBus;
beforeAll(async () => {
  bus = await startTestBus();
});
afterAll(() => bus.close());

it('counts what the subscriber applied by type, its last seq, its lag, publishes and failed reactions', async () => {
  const client = connectBus(bus.url, { logger });
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
  await subscriber.stop();

  expect(await sample('sdk_events_applied_total{type="Item"}')).toBe(2);
  // An event with no handler is acknowledged, not applied.
  expect(await sample('sdk_events_applied_total{type="Unhandled"}')).toBeUndefined();
  expect(await sample('sdk_last_applied_seq')).toBe(3);
  expect(await sample('sdk_lag_events')).toBe(0);
  expect(await sample('sdk_publish_duration_seconds_count')).toBe(3);
  expect(await sample('sdk_reactions_failed_total')).toBe(1);
  // On the HTTP bus the figures per subscriber are the bus's own (this test bus delivers to no one), not the SDK's.
  expect(await metricsRegistry.metrics()).not.toMatch(/^bus_subscriber_cursor\{/m);
  await client.close();
});
