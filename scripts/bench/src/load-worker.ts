/** The end-to-end clients in a process of their own, so they share neither event loop nor CPU time with the ingress they measure. */
import { runLoad, type LoadOptions } from '@posts/runtime/load';

// Stays alive after answering until the bench disconnects, so it can read this process's CPU time.
process.once('disconnect', () => process.exit(0));
process.on('message', (options: LoadOptions) => {
  runLoad(options).then(
    (result) => process.send!({ result }),
    (err: unknown) => process.send!({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
