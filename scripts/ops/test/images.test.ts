/** `npm run images`: the docker commands it runs, against a stand-in docker that records them. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SERVICES } from '@posts/runtime';
import { imageName } from '../src/image-name';
import { commands, main, parseArgs } from '../src/images';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'images-'));
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(() => {
  jest.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

function fakeDocker(exitCode = 0): { env: NodeJS.ProcessEnv; calls: () => string[] } {
  const log = path.join(dir, 'calls');
  fs.writeFileSync(path.join(dir, 'docker'), `#!/bin/sh\necho "$*" >> "${log}"\nexit ${exitCode}\n`, { mode: 0o755 });
  return { env: { PATH: dir }, calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : []) };
}

test('builds all six from the repository root with the one Dockerfile, each with its folder and port, under the default prefix', () => {
  const docker = fakeDocker();
  expect(main([], docker.env)).toBe(0);
  expect(docker.calls()).toEqual(SERVICES.map((s) => `build --build-arg SERVICE=${s.name} --build-arg PORT=${s.port} -t posts-com/${s.name}:latest .`));
});

test('IMAGE_PREFIX, IMAGE_TAG and --push: builds, then pushes every image', () => {
  const docker = fakeDocker();
  expect(main(['--push', 'posts', 'client'], { ...docker.env, IMAGE_PREFIX: 'ghcr.io/me/', IMAGE_TAG: 'v2' })).toBe(0);
  expect(docker.calls()).toEqual([
    'build --build-arg SERVICE=posts --build-arg PORT=4000 -t ghcr.io/me/posts:v2 .',
    'build --build-arg SERVICE=client --build-arg PORT=3000 -t ghcr.io/me/client:v2 .',
    'push ghcr.io/me/posts:v2',
    'push ghcr.io/me/client:v2',
  ]);
});

test('stops at the first failed build with its exit code', () => {
  const docker = fakeDocker(7);
  expect(main([], docker.env)).toBe(7);
  expect(docker.calls()).toHaveLength(1);
});

test('--dry-run only prints; unknown services and options are refused', () => {
  const docker = fakeDocker();
  expect(main(['--dry-run'], docker.env)).toBe(0);
  expect(docker.calls()).toEqual([]);
  expect(main(['blog'], docker.env)).toBe(2);
  expect(main(['--force'], docker.env)).toBe(2);
  expect(() => parseArgs(['nope'], {})).toThrow(/unknown service nope/);
});

test('docker missing: says so', () => {
  expect(main([], { PATH: dir })).toBe(1);
  expect((console.error as jest.Mock).mock.calls.join('\n')).toMatch(/cannot run docker/);
});

test('image names are prefix/service:tag', () => {
  expect(imageName('posts')).toBe('posts-com/posts:latest');
  expect(commands(parseArgs([], { IMAGE_PREFIX: 'localhost:5000' }))[0]).toEqual([
    'build',
    '--build-arg',
    'SERVICE=event-bus',
    '--build-arg',
    'PORT=4005',
    '-t',
    'localhost:5000/event-bus:latest',
    '.',
  ]);
});
