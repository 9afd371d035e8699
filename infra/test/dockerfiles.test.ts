/** Each service's Dockerfile, parsed with dockerfile-ast, against the rules the images promise. */
import fs from 'node:fs';
import path from 'node:path';
import { SERVICES } from '../../scripts/runtime/src/registry';
import { dockerignore, readStages, ROOT, Stage, Step } from './dockerfile';
import { dependenciesOf, WORKSPACE_FOLDERS, workspaceFolder } from './workspaces';

const NAMES: string[] = SERVICES.map((s) => s.name);
const context = dockerignore();
const runs = (stage: Stage): string =>
  stage.steps
    .filter((s) => s.keyword === 'RUN')
    .map((s) => s.text)
    .join('\n');
const copies = (stage: Stage): Step[] => stage.steps.filter((s) => s.keyword === 'COPY' || s.keyword === 'ADD');
const sources = (step: Step): string[] => step.args.slice(0, -1);
/** The workspaces named by `--workspace x` / `--workspace=x` in a command, as folders. */
const workspacesIn = (command: string): string[] => [...command.matchAll(/--workspace[= ](\S+)/g)].map((m) => workspaceFolder(m[1]));
const sorted = (items: string[]): string[] => [...items].sort();

test('every service in the registry is a workspace with a Dockerfile, and every Dockerfile is a service', () => {
  for (const name of NAMES) {
    expect({ name, workspace: WORKSPACE_FOLDERS.includes(name) }).toEqual({ name, workspace: true });
    expect({ name, dockerfile: fs.existsSync(path.join(ROOT, name, 'Dockerfile')) }).toEqual({ name, dockerfile: true });
  }
  const withDockerfile = WORKSPACE_FOLDERS.filter((w) => fs.existsSync(path.join(ROOT, w, 'Dockerfile')));
  expect(sorted(withDockerfile)).toEqual(sorted(NAMES));
});

test('.dockerignore keeps local installs, build output, data and history out of the build context', () => {
  const ignored = [
    'node_modules/x',
    'posts/node_modules/x',
    'posts/dist/index.js',
    'lib/kit/dist/index.js',
    'lib/kit/tsconfig.tsbuildinfo',
    '.git/HEAD',
    'event-bus/.data/events.ndjson',
    '.env',
    'node_modules/x/package.json',
  ];
  for (const p of ignored) expect({ p, ignored: context.ignores(p) }).toEqual({ p, ignored: true });
  for (const p of ['package.json', 'package-lock.json', 'tsconfig.base.json', 'posts/src/index.ts', 'lib/kit/src/index.ts', 'client/package.json']) {
    expect({ p, ignored: context.ignores(p) }).toEqual({ p, ignored: false });
  }
});

test("every workspace's package.json is in the build context, where npm ci checks it against the lockfile", () => {
  for (const folder of WORKSPACE_FOLDERS) {
    const p = `${folder}/package.json`;
    expect({ p, ignored: context.ignores(p) }).toEqual({ p, ignored: false });
  }
});

describe.each(SERVICES.map((s) => [s.name, s.port] as const))('%s/Dockerfile', (svc, port) => {
  const stages = readStages(path.join(ROOT, svc, 'Dockerfile'));
  const manifests = stages[0];
  const final = stages[stages.length - 1];
  const builders = stages.slice(1, -1);
  const all = stages.flatMap((s) => s.steps);
  // Its own workspace and the libraries it depends on, from the package.json files.
  const needed = [...dependenciesOf(svc), svc];
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
  });

  test('installs from the manifests stage alone, so the install is cached until a manifest changes', () => {
    for (const stage of [...builders, final]) {
      const ci = stage.steps.findIndex((s) => s.keyword === 'RUN' && /\bnpm ci\b/.test(s.text));
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

  test('installs only its own workspace and the libraries it depends on', () => {
    for (const install of all.filter((s) => s.keyword === 'RUN' && /\bnpm ci\b/.test(s.text))) {
      expect(sorted(workspacesIn(install.text))).toEqual(sorted(needed));
    }
  });

  test('builds the libraries it depends on, each after those it uses, then itself', () => {
    const built = builders.flatMap((stage) =>
      workspacesIn(
        runs(stage)
          .split('\n')
          .filter((l) => /npm run build/.test(l))
          .join('\n'),
      ),
    );
    expect(sorted(built)).toEqual(sorted(needed));
    expect(built[built.length - 1]).toBe(svc);
    for (const folder of built) {
      for (const used of dependenciesOf(folder))
        expect({ folder, usedBuiltFirst: built.indexOf(used) < built.indexOf(folder) }).toEqual({ folder, usedBuiltFirst: true });
    }
  });

  test('copies from the build context only the base tsconfig and the folders of what it builds', () => {
    const fromContext = builders.flatMap((stage) =>
      copies(stage)
        .filter((s) => !s.flags.from)
        .flatMap(sources),
    );
    expect(sorted(fromContext)).toEqual(sorted(['tsconfig.base.json', ...needed.map((folder) => `${folder}/`)]));
  });

  test("names no other service's folder", () => {
    const others = NAMES.filter((name) => name !== svc);
    const words = all.flatMap((s) => (s.keyword === 'RUN' ? s.text.split(/[\s=]+/) : s.args)).flatMap((word) => word.split('/'));
    expect(words.filter((w) => others.includes(w))).toEqual([]);
  });

  test('copies only files that exist in the build context and are not ignored', () => {
    for (const step of stages.flatMap(copies).filter((s) => !s.flags.from)) {
      for (const src of sources(step)) {
        // A folder may still be written by others; its package.json is what must exist now.
        const probe = src === '.' ? 'package.json' : src.endsWith('/') ? `${src}package.json` : src;
        expect({ src, exists: fs.existsSync(path.join(ROOT, probe)), ignored: context.ignores(probe) }).toEqual({ src, exists: true, ignored: false });
      }
    }
  });

  test('ships the manifests, production dependencies and the compiled output of what it builds, nothing else', () => {
    expect(copies(final).filter((s) => !s.flags.from)).toEqual([]);
    const fromBuild = copies(final).filter((s) => !fromManifests(s));
    expect(sorted(fromBuild.map((s) => s.args.join(' ')))).toEqual(sorted(needed.map((folder) => `/app/${folder}/dist ${folder}/dist`)));
    for (const step of fromBuild) expect(builders.map((s) => s.name)).toContain(step.flags.from);
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

  test('exposes the port the registry gives it', () => {
    expect(final.steps.filter((s) => s.keyword === 'EXPOSE').map((s) => s.args[0])).toEqual([String(port)]);
  });

  test('RUN steps use paths inside the image folder only (test:images replays them)', () => {
    for (const s of all.filter((x) => x.keyword === 'RUN')) expect(s.text).not.toMatch(/(^|\s)\//);
  });
});
