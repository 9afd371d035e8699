/** The publishers every transport is measured with, each awaiting an acknowledgement before its next event. */
import { randomUUID } from 'node:crypto';
import { CommentCreated } from '@posts/contracts';
import { latencySummary } from './format';
import { errorText } from './results';

/** One event as a service publishes it: the id its contract gives it, the type, the data. */
export interface PublishedEvent {
  id: string;
  type: string;
  data: { id: string; postId: string; content: string; status: 'pending' };
}

export interface PublishFigures {
  events: number;
  publishers: number;
  accepted: number;
  errors: number;
  /** Why publishes were not acknowledged (an HTTP status, an error message), counted. */
  errorsByStatus: Record<string, number>;
  seconds: number;
  perSecond: number;
  /** One publish, sent to acknowledged. */
  latencyMs: { p50: number; p99: number; max: number };
}

/** The `i`th event of a run: a new comment on `postId`, as comments publishes it. */
export function commentCreated(i: number, postId: string): PublishedEvent {
  const data = { id: randomUUID(), postId, content: `comment ${i}: great post`, status: 'pending' as const };
  return { id: CommentCreated.idOf(data), type: CommentCreated.type, data };
}

/** `count` calls from `callers` concurrent callers; `call` answers undefined when it went well, else why not. */
export async function concurrently(count: number, callers: number, call: (caller: number, i: number) => Promise<string | undefined>) {
  const latencies: number[] = [];
  const errorsByStatus: Record<string, number> = {};
  let next = 0;
  let accepted = 0;
  const start = performance.now();
  const caller = async (c: number) => {
    for (let i = next++; i < count; i = next++) {
      const t = performance.now();
      const error = await call(c, i).catch(errorText);
      latencies.push(performance.now() - t);
      if (error === undefined) accepted++;
      else errorsByStatus[error] = (errorsByStatus[error] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: callers }, (_, c) => caller(c)));
  const seconds = (performance.now() - start) / 1000;
  return {
    accepted,
    errors: count - accepted,
    errorsByStatus,
    seconds: Math.round(seconds * 100) / 100,
    perSecond: Math.round(accepted / seconds),
    latencyMs: latencySummary(latencies),
  };
}

export async function runPublishers(
  events: number,
  publishers: number,
  publish: (p: number, event: PublishedEvent) => Promise<string | undefined>,
): Promise<PublishFigures> {
  const postId = randomUUID();
  const figures = await concurrently(events, publishers, (p, i) => publish(p, commentCreated(i, postId)));
  return { events, publishers, ...figures };
}
