/**
 * The end-to-end clients, in a process of their own: forked by the bench so the load generator
 * does not share an event loop (or its CPU accounting) with the ingress it measures, as a
 * user's browsers would not. Receives LoadOptions (the warm-up, then the run), answers {result} or {error} to each.
 */
import { runLoad, type LoadOptions } from '@posts/runtime/load';

// Stays alive after answering until the bench disconnects, so it can read this process's CPU time.
process.once('disconnect', () => process.exit(0));
process.on('message', (options: LoadOptions) => {
  runLoad(options).then(
    (result) => process.send!({ result }),
    (err: unknown) => process.send!({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
