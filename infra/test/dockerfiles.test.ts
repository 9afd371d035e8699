/** The one Dockerfile, parsed with dockerfile-ast for each service's build args, against the rules the images promise. */
import fs from 'node:fs';
import path from 'node:path';
import { SERVICES } from '../../scripts/runtime/src/registry';
import { buildArgs, dockerignore, readStages, ROOT, Stage, Step } from './dockerfile';
import { dependenciesOf, WORKSPACE_FOLDERS, WORKSPACES } from './workspaces';

const NAMES: string[] = SERVICES.map((s) => s.name);
const DOCKERFILE = path.join(ROOT, 'Dockerfile');
const context = dockerignore();
const runs = (stage: Stage): string =>
  stage.steps
    .filter((s) => s.keyword === 'RUN')
    .map((s) => s.text)
    .join('\n');
const copies = (stage: Stage): Step[] => stage.steps.filter((s) => s.keyword === 'COPY' || s.keyword === 'ADD');
const sources = (step: Step): string[] => step.args.slice(0, -1);
const npmCi = (stage: Stage): Step[] => stage.steps.filter((s) => s.keyword === 'RUN' && /\bnpm ci\b/.test(s.text));
const sorted = (items: string[]): string[] => [...items].sort();

test('one Dockerfile at the root builds every service; no service keeps its own', () => {
  expect(fs.existsSync(DOCKERFILE)).toBe(true);
  for (const folder of WORKSPACE_FOLDERS)
    expect({ folder, dockerfile: fs.existsSync(path.join(ROOT, folder, 'Dockerfile')) }).toEqual({ folder, dockerfile: false });
  for (const name of NAMES) expect({ name, workspace: WORKSPACE_FOLDERS.includes(name) }).toEqual({ name, workspace: true });
});

test("the root lists each workspace after those it uses: the image builds in the root's order, as `npm run build` does", () => {
  for (const { folder, uses } of WORKSPACES) {
    for (const used of uses)
      expect({ folder, used, listedFirst: WORKSPACE_FOLDERS.indexOf(used) < WORKSPACE_FOLDERS.indexOf(folder) }).toEqual({ folder, used, listedFirst: true });
  }
});

test('every workspace a service uses is a library under lib/, the one folder of libraries the image copies', () => {
  for (const name of NAMES) for (const used of dependenciesOf(name)) expect({ name, used }).toEqual({ name, used: expect.stringMatching(/^lib\//) });
});

test('.dockerignore keeps local installs, build output, data and history out of the build context', () => {
  const ignored = [
    'node_modules/x',
    'posts/node_modules/x',
    'posts/dist/index.js',
    'lib/kit/dist/index.js',
    'lib/kit/tsconfig.tsbuildinfo',
    'lib/kit/test/config.test.ts',
    '.git/HEAD',
    'event-bus/.data/events.ndjson',
    '.env',
    'node_modules/x/package.json',
  ];
  for (const p of ignored) expect({ p, ignored: context.ignores(p) }).toEqual({ p, ignored: true });
  for (const p of [
    'Dockerfile',
    'package.json',
    'package-lock.json',
    'tsconfig.base.json',
    'posts/src/index.ts',
    'lib/kit/src/index.ts',
    'client/package.json',
  ]) {
    expect({ p, ignored: context.ignores(p) }).toEqual({ p, ignored: false });
  }
});

test("every workspace's package.json is in the build context, where npm ci checks it against the lockfile", () => {
  for (const folder of WORKSPACE_FOLDERS) {
    const p = `${folder}/package.json`;
    expect({ p, ignored: context.ignores(p) }).toEqual({ p, ignored: false });
  }
});

test('without SERVICE or PORT a stage stops at its first use of it and says which build arg is missing', () => {
  const lines = fs
    .readFileSync(DOCKERFILE, 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#'));
  const stages = lines.join('\n').split(/^FROM /m);
  for (const name of ['SERVICE', 'PORT']) {
    const firstUses = stages.flatMap((stage) => stage.split('\n').find((l) => new RegExp(`\\$\\{?${name}\\b`).test(l)) ?? []);
    expect(firstUses.length).toBeGreaterThan(0);
    for (const line of firstUses) expect({ name, line }).toEqual({ name, line: expect.stringContaining(`\${${name}:?pass --build-arg ${name}=`) });
  }
});

describe.each(SERVICES.map((s) => [s.name, s.port] as const))('Dockerfile --build-arg SERVICE=%s', (svc, port) => {
  const stages = readStages(DOCKERFILE, buildArgs({ name: svc, port }));
  const manifests = stages[0];
  const final = stages[stages.length - 1];
  const builders = stages.slice(1, -1);
  const all = stages.flatMap((s) => s.steps);
  const fromManifests = (step: Step) => step.flags.from === manifests.name;

  test('is multi-stage on node:24-alpine', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    for (const s of stages) expect(s.image).toBe('node:24-alpine');
  });

  test('starts with a named stage that holds the whole build context, cut down by RUN to the npm manifests', () => {
    expect(manifests.name).toBeTruthy();
    expect(copies(manifests).map((s) => s.args)).toEqual([['.', '.']]);
    expect(runs(manifests)).toMatch(/package\.json/);
    expect(runs(manifests)).toMatch(/package-lock\.json/);
    expect(manifests.steps.filter((s) => s.keyword === 'ARG')).toEqual([]);
  });

  test('installs from the manifests stage alone, so the install is cached until a manifest changes', () => {
    for (const stage of [...builders, final]) {
      const ci = stage.steps.indexOf(npmCi(stage)[0]);
      const before = copies(stage).filter((s) => stage.steps.indexOf(s) < ci);
      expect(before.map((s) => s.flags.from)).toEqual([manifests.name]);
    }
  });

  test('installs with npm ci only: dev dependencies to build, production ones to ship', () => {
    expect(all.filter((s) => s.keyword === 'RUN' && /\b(npm|yarn|pnpm)\s+(install|i|add)\b/.test(s.text))).toEqual([]);
    expect(builders.some((s) => /\bnpm ci\b/.test(runs(s)) && !/--omit=dev/.test(runs(s)))).toBe(true);
    expect(runs(final)).toMatch(/\bnpm ci\b[^&]*--omit=dev/);
    expect(runs(final)).not.toMatch(/npm run build|\btsc\b|\bvite\b/);
  });

  test('each install names the service alone: npm adds the workspaces it depends on from their package.json files', () => {
    for (const install of [...builders, final].flatMap(npmCi)) {
      expect([...install.text.matchAll(/--workspace[= ](\S+)/g)].map((m) => m[1])).toEqual([expect.stringMatching(/^"\$\{?SERVICE\b/)]);
    }
  });

  test('builds what npm installed, read from npm, in the order the root lists the workspaces', () => {
    const script = builders.map(runs).join('\n');
    expect(script).toMatch(/npm query \.workspace/);
    expect(script).toMatch(/require\('\.\/package\.json'\)\.workspaces\.filter/);
    expect(script).toMatch(/npm run build --workspace "\$w"/);
  });

  test('copies from the build context only the base tsconfig, the libraries and its own folder', () => {
    const fromContext = builders.flatMap((stage) =>
      copies(stage)
        .filter((s) => !s.flags.from)
        .flatMap(sources),
    );
    expect(sorted(fromContext)).toEqual(sorted(['tsconfig.base.json', 'lib/', `${svc}/`]));
  });

  test("names no service's folder but the one it is given", () => {
    const others = NAMES.filter((name) => name !== svc);
    // `npm query` is npm's command, not the query service.
    const words = all
      .flatMap((s) => (s.keyword === 'RUN' ? s.text.replace(/\bnpm query\b/g, 'npm').split(/[\s=]+/) : s.args))
      .flatMap((word) => word.split('/'));
    expect(words.filter((w) => others.includes(w))).toEqual([]);
  });

  test('copies only files that exist in the build context and are not ignored', () => {
    for (const step of stages.flatMap(copies).filter((s) => !s.flags.from)) {
      for (const src of sources(step)) {
        const probe = src === '.' ? 'package.json' : src.replace(/\/$/, '');
        expect({ src, exists: fs.existsSync(path.join(ROOT, probe)), ignored: context.ignores(probe) }).toEqual({ src, exists: true, ignored: false });
      }
    }
  });

  test('ships the manifests, production dependencies and the compiled output set aside by the build, nothing else', () => {
    expect(copies(final).filter((s) => !s.flags.from)).toEqual([]);
    const fromBuild = copies(final).filter((s) => !fromManifests(s));
    expect(fromBuild.map((s) => [s.flags.from, s.args])).toEqual([['build', ['/app/ship/', './']]]);
    expect(builders.map(runs).join('\n')).toMatch(/cp -R "\$w\/dist" "ship\/\$w\/"/);
  });

  test('runs as the non-root node user with `node dist/index.js` in its workspace', () => {
    const keywords = final.steps.map((s) => s.keyword);
    const user = final.steps.filter((s) => s.keyword === 'USER');
    expect(user.map((s) => s.args[0])).toEqual(['node']);
    expect(keywords.lastIndexOf('RUN')).toBeLessThan(keywords.indexOf('USER'));
    const workdirs = final.steps.filter((s) => s.keyword === 'WORKDIR');
    expect(workdirs[workdirs.length - 1].args[0]).toBe(`/app/${svc}`);
    const cmd = final.steps.filter((s) => s.keyword === 'CMD');
    expect(cmd).toHaveLength(1);
    expect(JSON.parse(cmd[0].text)).toEqual(['node', 'dist/index.js']);
    expect(final.steps.filter((s) => s.keyword === 'ENTRYPOINT')).toEqual([]);
  });

  test('has no dev server in the image', () => {
    const text = all.map((s) => s.text).join('\n');
    expect(text).not.toMatch(/nodemon|ts-node|npm (run )?(dev|start)|vite (dev|preview)/);
    expect(final.steps.find((s) => s.keyword === 'ENV' && /NODE_ENV=production/.test(s.text))).toBeDefined();
  });

  test('listens on and exposes the port the registry gives it', () => {
    expect(final.steps.filter((s) => s.keyword === 'EXPOSE').map((s) => s.args[0])).toEqual([String(port)]);
    expect(final.steps.filter((s) => s.keyword === 'ENV').flatMap((s) => s.args)).toContain(`PORT=${port}`);
  });

  test('RUN steps use paths inside the image folder only (test:images replays them)', () => {
    for (const s of all.filter((x) => x.keyword === 'RUN')) expect(s.text).not.toMatch(/(^|\s)\//);
  });
});
