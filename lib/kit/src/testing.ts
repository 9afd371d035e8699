// What every test waits with, from @posts/kit/testing: services never poll, so this is not in the kit's index.
import { sleep } from './backoff';

export { sleep };

/** Polls `check` every `everyMs` until it gives a truthy value, and returns that; throws after `timeoutMs`, naming `what`. */
export async function until<T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
  everyMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
