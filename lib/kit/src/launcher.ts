/**
 * `npm start`'s launcher starts each service with an IPC channel, which closes when the launcher is gone, even
 * SIGKILLed: the service then stops as on SIGTERM, rather than live on holding its port.
 */
export function stopWithLauncher(): void {
  if (!process.send) return; // not started with a channel
  if (!process.connected) process.kill(process.pid, 'SIGTERM');
  else process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}
