/** Capped exponential backoff with full jitter: retries spread out instead of arriving together. */
export function backoff(attempt: number, baseMs = 100, capMs = 10_000): number {
  return Math.random() * Math.min(capMs, baseMs * 2 ** attempt);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
