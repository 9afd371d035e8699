// For a test that measures what the heap holds while query streams: a full collection first, so the figure is
// what is held, not garbage not yet collected (never in a service: no service forces a collection).
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;
/** A full collection now, to measure what the heap holds rather than when the collector last ran. */
export function gc(): void {
  // Exposed on first use only, so tests that never measure run with the flags they had.
  if (!collect) {
    v8.setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}
