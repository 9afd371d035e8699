/** The root's npm workspaces as the images see them; shared by the Dockerfile test and test:images. */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './dockerfile';

export interface Workspace {
  /** Its folder from the root, as `workspaces` lists it: `lib/kit`, `posts`. */
  folder: string;
  /** Its package name: `@posts/kit`, `posts`. */
  name: string;
  /** The folders of the workspaces in its `dependencies`. */
  uses: string[];
}

const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8'));

/** Every workspace the root lists; a folder listed before its package.json exists has none yet. */
export const WORKSPACE_FOLDERS: string[] = readJson('package.json').workspaces;

const manifests = WORKSPACE_FOLDERS.filter((folder) => fs.existsSync(path.join(ROOT, folder, 'package.json'))).map((folder) => ({
  folder,
  manifest: readJson(`${folder}/package.json`) as { name: string; dependencies?: Record<string, string> },
}));
const folderOf = new Map(manifests.map(({ folder, manifest }) => [manifest.name, folder]));

export const WORKSPACES: Workspace[] = manifests.map(({ folder, manifest }) => ({
  folder,
  name: manifest.name,
  uses: Object.keys(manifest.dependencies ?? {}).flatMap((dep) => folderOf.get(dep) ?? []),
}));

/** A `--workspace` argument (a package name or a folder) as the workspace's folder. */
export const workspaceFolder = (arg: string): string => folderOf.get(arg) ?? arg;

/** The folders of the workspaces `folder` needs, directly or through another, each after those it uses. */
export function dependenciesOf(folder: string): string[] {
  const order: string[] = [];
  const visit = (current: string) => {
    for (const used of WORKSPACES.find((w) => w.folder === current)?.uses ?? []) {
      if (order.includes(used)) continue;
      visit(used);
      order.push(used);
    }
  };
  visit(folder);
  return order;
}
