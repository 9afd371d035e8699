/**
 * Node sizes V8's heap to the machine's memory, not the container's: query, which holds the read model, sets its
 * old space below its memory limit (both manifest sets), so memory follows what it holds. A container that sets one
 * keeps it within its limit. The services that replay the log keep the young generation small. No container forces a
 * collection: none is given `--expose-gc`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT } from './dockerfile';
import { BACKENDS, objects } from './k8s-nats-set';

/* eslint-disable @typescript-eslint/no-explicit-any */
const k8s = fs
  .readdirSync(path.join(ROOT, 'infra', 'k8s'))
  .filter((file) => file.endsWith('.yaml'))
  .flatMap((file) => parseAllDocuments(fs.readFileSync(path.join(ROOT, 'infra', 'k8s', file), 'utf8')).map((doc) => doc.toJSON() as any));
const containers = Object.entries({ k8s, 'k8s-nats': objects }).flatMap(([set, list]) =>
  list
    .filter((obj) => obj?.kind === 'Deployment')
    .flatMap((obj) => (obj.spec.template.spec.containers as any[]).map((c) => ({ where: `${set}/${obj.metadata.name}/${c.name}`, container: c }))),
);

const mebibytes = (quantity: string) => {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`a memory limit in Mi or Gi, not ${quantity}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
};

test('every Node container is found in both sets', () => {
  expect(containers.filter((c) => c.where.startsWith('k8s/'))).toHaveLength(6);
  expect(containers.filter((c) => c.where.startsWith('k8s-nats/'))).toHaveLength(5);
});

const optionsOf = (container: any): string => container.env?.find((e: any) => e.name === 'NODE_OPTIONS')?.value ?? '';

test.each(containers.filter((c) => c.container.name === 'query'))(
  '$where: old space at most ¾ of its memory limit, and a small young generation',
  ({ container }) => {
    const options = optionsOf(container);
    const oldSpace = Number(/--max-old-space-size=(\d+)/.exec(options)?.[1]);
    const semiSpace = Number(/--max-semi-space-size=(\d+)/.exec(options)?.[1]);
    const limit = mebibytes(container.resources.limits.memory);
    expect(oldSpace).toBeGreaterThan(0);
    expect(oldSpace).toBeLessThanOrEqual(limit * 0.75);
    // Node, its code and the young generation live beside the old space within the limit.
    expect(limit - oldSpace).toBeGreaterThanOrEqual(64);
    expect(semiSpace).toBeGreaterThan(0);
    expect(semiSpace).toBeLessThanOrEqual(8);
  },
);

test.each(containers)('$where: an old space it sets fits within its memory limit', ({ container }) => {
  const oldSpace = /--max-old-space-size=(\d+)/.exec(optionsOf(container))?.[1];
  if (oldSpace !== undefined) expect(Number(oldSpace)).toBeLessThanOrEqual(mebibytes(container.resources.limits.memory) * 0.75);
});

const replaying = containers.filter((c) => BACKENDS.includes(c.container.name));

test('the four services that replay the log are found in both sets', () => {
  expect(replaying).toHaveLength(8);
});

test.each(containers)('$where: no --expose-gc, so nothing forces a collection', ({ container }) => {
  expect(optionsOf(container).split(/\s+/)).not.toContain('--expose-gc');
});

test.each(replaying)('$where: a young generation of at most 8 MB a semi-space', ({ container }) => {
  const options = optionsOf(container).split(/\s+/);
  const semiSpace = Number(options.find((o) => o.startsWith('--max-semi-space-size='))?.split('=')[1]);
  expect(semiSpace).toBeGreaterThan(0);
  expect(semiSpace).toBeLessThanOrEqual(8);
});
