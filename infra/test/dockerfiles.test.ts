/** Each service's Dockerfile, parsed with dockerfile-ast, against the rules the images promise. */
import fs from 'node:fs';
import path from 'node:path';
import { dockerignore, PORTS, readStages, ROOT, SERVICES, Stage, Step } from './dockerfile';

const BACKENDS = ['posts', 'comments', 'query', 'moderation'];
const workspaces: string[] = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).workspaces;
const ignored = dockerignore();
const runs = (stage: Stage): string => stage.steps.filter((s) => s.keyword === 'RUN').map((s) => s.text).join('\n');
const copies = (stage: Stage): Step[] => stage.steps.filter((s) => s.keyword === 'COPY' || s.keyword === 'ADD');

test('the six services have a Dockerfile each', () => {
  expect([...workspaces].sort()).toEqual([...SERVICES].sort());
  for (const svc of SERVICES) expect(fs.existsSync(path.join(ROOT, svc, 'Dockerfile'))).toBe(true);
});

test('.dockerignore keeps local installs, build output, data and history out of the build context', () => {
  for (const p of ['node_modules/x', 'posts/node_modules/x', 'posts/dist/index.js', '.git/HEAD', 'event-bus/.data/events.ndjson', '.env']) {
    expect({ p, ignored: ignored(p) }).toEqual({ p, ignored: true });
  }
  for (const p of ['package.json', 'package-lock.json', 'tsconfig.base.json', 'posts/src/index.ts', 'client/package.json']) {
    expect({ p, ignored: ignored(p) }).toEqual({ p, ignored: false });
  }
});

describe.each(SERVICES)('%s/Dockerfile', (svc) => {
  const stages = readStages(path.join(ROOT, svc, 'Dockerfile'));
  const final = stages[stages.length - 1];
  const builders = stages.slice(0, -1);
  const all = stages.flatMap((s) => s.steps);

  test('is multi-stage on node:24-alpine', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s.image).toBe('node:24-alpine');
  });

  test('installs with npm ci only: dev dependencies to build, production ones to ship', () => {
    expect(all.filter((s) => s.keyword === 'RUN' && /\b(npm|yarn|pnpm)\s+(install|i|add)\b/.test(s.text))).toEqual([]);
    expect(builders.some((s) => /\bnpm ci\b/.test(runs(s)) && !/--omit=dev/.test(runs(s)))).toBe(true);
    expect(builders.some((s) => new RegExp(`npm run build --workspace ${svc}\\b`).test(runs(s)))).toBe(true);
    expect(runs(final)).toMatch(/\bnpm ci\b[^&]*--omit=dev/);
    expect(runs(final)).not.toMatch(/npm run build|\btsc\b|\bvite\b/);
  });

  test('copies the lockfile and every workspace manifest before npm ci, in every stage', () => {
    for (const stage of stages) {
      const ci = stage.steps.findIndex((s) => s.keyword === 'RUN' && /\bnpm ci\b/.test(s.text));
      const before = copies(stage).filter((s) => stage.steps.indexOf(s) < ci).flatMap((s) => s.args.slice(0, -1));
      expect(before).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', ...workspaces.map((w) => `${w}/package.json`)]));
    }
  });

  test('copies only files that exist in the build context and are not ignored', () => {
    for (const step of copies(stages[0]).concat(copies(final)).filter((s) => !s.flags.from)) {
      for (const src of step.args.slice(0, -1)) {
        // A service folder may still be written by others; its package.json is what must exist now.
        const probe = src.endsWith('/') ? `${src}package.json` : src;
        expect({ src, exists: fs.existsSync(path.join(ROOT, probe)), ignored: ignored(probe) }).toEqual({ src, exists: true, ignored: false });
      }
    }
  });

  test('ships only the compiled output from the build stage', () => {
    const fromBuild = copies(final).filter((s) => s.flags.from);
    const needed = svc === 'event-bus' || svc === 'client' ? [svc] : ['event-bus', svc];
    expect(fromBuild.map((s) => s.args)).toEqual(needed.map((w) => [`/app/${w}/dist`, `${w}/dist`]));
    expect(copies(final).filter((s) => !s.flags.from).every((s) => s.args.slice(0, -1).every((a) => /package(-lock)?\.json$/.test(a)))).toBe(true);
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

  test('exposes the service port', () => {
    expect(final.steps.filter((s) => s.keyword === 'EXPOSE').map((s) => s.args[0])).toEqual([String(PORTS[svc])]);
  });

  test('RUN steps use paths inside the image folder only (test:images replays them)', () => {
    for (const s of all.filter((x) => x.keyword === 'RUN')) expect(s.text).not.toMatch(/(^|\s)\//);
  });

  if (BACKENDS.includes(svc)) {
    test('builds and ships the event-bus workspace its client comes from', () => {
      expect(runs(stages[0])).toMatch(/npm run build --workspace event-bus/);
      expect(runs(final)).toMatch(/--workspace event-bus/);
    });
  }
});
