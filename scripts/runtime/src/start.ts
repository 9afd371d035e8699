// `npm start` (--dev, --nats) and `npm run clean:data`: the whole blog on one port (PORT, default 8080).
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DATABASE_FILE, startSystem } from './launcher';
import { ROOT } from './root';

const args = process.argv.slice(2);
const dataDir = path.resolve(process.env.DATA_DIR ?? path.join(ROOT, '.data'));

async function main(): Promise<void> {
  if (args.includes('--clean-data')) {
    // Only what the launcher put there (the bus's log, the NATS nodes' stores, each pod's database): DATA_DIR may hold other things.
    const databases = existsSync(dataDir) ? readdirSync(dataDir).filter((pod) => existsSync(path.join(dataDir, pod, DATABASE_FILE))) : [];
    const made = [path.join(dataDir, 'events.ndjson'), path.join(dataDir, 'nats'), ...databases.map((pod) => path.join(dataDir, pod))];
    made.forEach((thing) => rmSync(thing, { recursive: true, force: true }));
    console.log(`removed ${made.join(', ')}: the next start begins with an empty blog`);
    return;
  }
  const unknown = args.filter((a) => a !== '--dev' && a !== '--nats');
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown.join(' ')} (use --dev, --nats or --clean-data)`);

  const nats = args.includes('--nats');
  const port = Number(process.env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not ${process.env.PORT}`);
  const system = await startSystem({
    port,
    dataDir,
    dev: args.includes('--dev'),
    nats,
    // A Ctrl-C is the normal way to stop: exit cleanly once everything is down.
    onSignal: () => process.exit(0),
  });
  const jetStream = nats ? `\n  --nats: the log is in NATS JetStream, on ${system.pods('nats').length} nats-server nodes (infra/k8s-nats)` : '';
  console.log(
    `\nposts.com is running at ${system.url}\n  try: curl -H 'Host: posts.com' localhost:${system.ports.ingress}/posts   (Ctrl-C stops it)${jetStream}\n`,
  );
}

main().catch((err: unknown) => {
  console.error(`npm start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
