/** skaffold.yaml builds what `npm run images` builds, the same way, and deploys infra/k8s. */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { imageName } from '../../scripts/ops/src/image-name';
import { SERVICES } from '../../scripts/runtime/src/registry';
import { buildArgs, ROOT } from './dockerfile';

const skaffold = parse(fs.readFileSync(path.join(ROOT, 'skaffold.yaml'), 'utf8'));

test("builds every service's image from the repository root with the root Dockerfile and its build args, under the manifests' names", () => {
  expect(
    skaffold.build.artifacts.map((a: { image: string; context: string; docker: { dockerfile?: string; buildArgs: Record<string, string> } }) => [
      a.image,
      a.context,
      a.docker.dockerfile ?? 'Dockerfile',
      a.docker.buildArgs,
    ]),
  ).toEqual(SERVICES.map((s) => [imageName(s.name).replace(/:[^:/]+$/, ''), '.', 'Dockerfile', buildArgs(s)]));
  expect(skaffold.build.local.push).toBe(false);
});

test('deploys every file of infra/k8s with kubectl', () => {
  expect(skaffold.manifests.rawYaml).toEqual(['infra/k8s/*.yaml']);
  expect(skaffold.deploy.kubectl).toBeDefined();
});
