import { installedNatsServer, NATS_INSTALL } from '@posts/runtime';

/** Why the system cannot run on JetStream here (no nats-server), or undefined when it can. CI installs nats-server, so there it must be present. */
export function whyNoJetStream(): string | undefined {
  if (installedNatsServer()) return undefined;
  const reason = `nats-server is not installed (${NATS_INSTALL})`;
  if (process.env.CI) throw new Error(`${reason}, and CI must run the JetStream suite`);
  return reason;
}

/** The buses a suite runs on, for describe.each: the event bus, and NATS JetStream where it can (else a warning says it is skipped). */
export function transportsFor(suite: string): Array<[string, { nats: boolean }]> {
  const missing = whyNoJetStream();
  if (missing) console.warn(`${suite} on JetStream is skipped: ${missing}`);
  return [['the event bus', { nats: false }], ...(missing ? [] : [['NATS JetStream', { nats: true }] as [string, { nats: boolean }]])];
}
