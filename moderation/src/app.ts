import type { Subscriber } from '@posts/bus-client';
import { createServiceApp, type Logger } from '@posts/kit';

export interface Deps {
  subscriber: Subscriber;
  logger: Logger;
}

/** Moderation has no public API: it hears events and answers with verdicts. */
export function createApp({ subscriber, logger }: Deps) {
  return createServiceApp({ logger, isReady: () => subscriber.ready, internal: [subscriber] });
}
