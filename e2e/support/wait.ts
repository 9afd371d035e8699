import { sleep } from '@posts/kit/testing';

export { sleep, until } from '@posts/kit/testing';

/** Polls until `done(value)`; on the deadline returns the last value anyway, for the assertion to show. */
export async function settle<T>(probe: () => Promise<T>, done: (value: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(50);
  }
}
