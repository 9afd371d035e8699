import { installedNatsServer, NATS_INSTALL } from '@posts/runtime';

/** Why the system cannot run on JetStream here (no nats-server), or undefined when it can. CI installs nats-server, so there it must be present. */
export function whyNoJetStream(): string | undefined {
  if (installedNatsServer()) return undefined;
  const reason = `nats-server is not installed (${NATS_INSTALL})`;
  if (process.env.CI) throw new Error(`${reason}, and CI must run the JetStream suite`);
  return reason;
}
