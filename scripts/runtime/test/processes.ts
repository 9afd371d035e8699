import { readFileSync } from 'node:fs';

/** Running, not a zombie waiting for a reaper (a container's PID 1 may never reap orphans). */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** A backoff fast enough for tests, that never resets within one. */
export const fast = { initialMs: 50, maxMs: 200, resetAfterMs: 60_000 };
