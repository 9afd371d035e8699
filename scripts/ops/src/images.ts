// `npm run images [-- --push] [--dry-run] [service …]`: each service's image, `$IMAGE_PREFIX/<service>:$IMAGE_TAG`, built from the root Dockerfile.
import { spawnSync } from 'node:child_process';
import { ROOT, SERVICE_NAMES, SERVICES } from '@posts/runtime';
import { DEFAULT_PREFIX, DEFAULT_TAG, imageName } from './image-name';

export type Plan = ReturnType<typeof parseArgs>;

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv) {
  const flags = argv.filter((a) => a.startsWith('--'));
  const unknownFlag = flags.find((f) => f !== '--push' && f !== '--dry-run');
  if (unknownFlag) throw new Error(`unknown option ${unknownFlag} (use --push, --dry-run)`);
  const names = argv.filter((a) => !a.startsWith('--'));
  const unknown = names.find((n) => !SERVICE_NAMES.includes(n));
  if (unknown) throw new Error(`unknown service ${unknown} (one of ${SERVICE_NAMES.join(', ')})`);
  return {
    services: names.length > 0 ? names : [...SERVICE_NAMES],
    prefix: env.IMAGE_PREFIX || DEFAULT_PREFIX,
    tag: env.IMAGE_TAG || DEFAULT_TAG,
    push: flags.includes('--push'),
    dryRun: flags.includes('--dry-run'),
  };
}

/** The Dockerfile's build args for a service: its folder and the port it listens on, from the registry. */
export function buildArgs(service: string): string[] {
  const port = SERVICES.find((s) => s.name === service)?.port;
  return ['--build-arg', `SERVICE=${service}`, '--build-arg', `PORT=${port}`];
}

/** The docker argument lists, in order: every build first, then the pushes. */
export function commands(plan: Plan): string[][] {
  const builds = plan.services.map((s) => ['build', ...buildArgs(s), '-t', imageName(s, plan.prefix, plan.tag), '.']);
  const pushes = plan.push ? plan.services.map((s) => ['push', imageName(s, plan.prefix, plan.tag)]) : [];
  return [...builds, ...pushes];
}

export function main(argv: string[], env: NodeJS.ProcessEnv): number {
  let plan: Plan;
  try {
    plan = parseArgs(argv, env);
  } catch (err) {
    console.error(`images: ${(err as Error).message}`);
    return 2;
  }
  const docker = env.DOCKER || 'docker';
  for (const args of commands(plan)) {
    console.log(`$ ${docker} ${args.join(' ')}`);
    if (plan.dryRun) continue;
    // From the repository root, so the root lockfile applies to every image.
    const run = spawnSync(docker, args, { cwd: ROOT, stdio: 'inherit', env });
    if (run.error) {
      console.error(`images: cannot run ${docker}: ${run.error.message}. Install Docker Desktop (or set DOCKER).`);
      return 1;
    }
    if (run.status !== 0) return run.status ?? 1;
  }
  if (!plan.push) {
    const names = plan.services.map((s) => imageName(s, plan.prefix, plan.tag)).join(' ');
    console.log('\nDocker Desktop sees these images already. Other local clusters need them loaded:');
    console.log(`  kind load docker-image ${names}`);
    console.log(`  minikube image load ${names}`);
  }
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2), process.env);
