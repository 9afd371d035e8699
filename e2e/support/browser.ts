// The browser suites' own: Chromium, and writes as another person's browser makes them (apart from ./index, so other suites never load playwright).
import { chromium, type Browser } from 'playwright-core';
import { sleep } from './wait';

/** Debian's Chromium, headless, with nothing it would fetch from the network on its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * A write through the ingress at `base`, as another person's browser would make it: again, with the same
 * Idempotency-Key, until it is answered 201 (a comment's post reaches comments over the bus).
 */
export async function writeUntilAccepted(base: string, urlPath: string, body: unknown): Promise<{ id: string }> {
  const key = `browser-${Math.random().toString(36).slice(2)}`;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(100)) {
    const res = await fetch(new URL(urlPath, base), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    }).catch(() => undefined);
    if (res?.status === 201) return (await res.json()) as { id: string };
  }
  throw new Error(`POST ${urlPath} was not accepted in 30 s`);
}
