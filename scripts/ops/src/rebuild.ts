// `npm run rebuild -- <service>`: each of the service's pods, under `npm start`, throws its projection away and
// replays the log into it, not ready meanwhile. In a cluster the same is one `kubectl exec` (README).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PODS_FILE, ROOT } from '@posts/runtime';

const BACKENDS = ['posts', 'comments', 'query', 'moderation'];
const dataDir = path.resolve(process.env.DATA_DIR ?? path.join(ROOT, '.data'));

interface Progress {
  rebuilding: boolean;
  lastSeq: number;
  logHead: number;
}

async function ask(port: number, method: 'GET' | 'POST'): Promise<Progress> {
  const res = await fetch(`http://127.0.0.1:${port}/rebuild`, { method });
  if (!res.ok) throw new Error(`${method} /rebuild answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Progress;
}

async function main(service: string | undefined): Promise<void> {
  if (!service || !BACKENDS.includes(service)) throw new Error(`name the service to rebuild: one of ${BACKENDS.join(', ')}`);
  const podsFile = path.join(dataDir, PODS_FILE);
  if (!existsSync(podsFile)) throw new Error(`nothing runs from ${dataDir}: start it with npm start first`);
  const pods = Object.entries(JSON.parse(readFileSync(podsFile, 'utf8')) as Record<string, { app: string; port: number }>).filter(
    ([, pod]) => pod.app === service,
  );
  await Promise.all(pods.map(([, pod]) => ask(pod.port, 'POST')));
  for (;;) {
    const progress = await Promise.all(pods.map(([, pod]) => ask(pod.port, 'GET')));
    console.log(
      pods.map(([name], i) => `${name}: ${progress[i].rebuilding ? 'rebuilding' : 'rebuilt'}, seq ${progress[i].lastSeq} of ${progress[i].logHead}`).join('; '),
    );
    if (progress.every((p) => !p.rebuilding)) return;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

main(process.argv[2]).catch((err: unknown) => {
  console.error(`npm run rebuild: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
