/** The NATS deployment set (infra/k8s-nats) as its tests read it: its objects, nats.conf, and the env Kubernetes would give a container. */
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ROOT } from './dockerfile';

// Loose shapes for reading; the schemas do the strict checking.
/* eslint-disable @typescript-eslint/no-explicit-any */
export type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
};
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; fieldRef?: { fieldPath: string } };
}

export const NATS_SET = 'infra/k8s-nats';
export const DEFAULT_SET = 'infra/k8s';
/** The services that publish to and read the log. */
export const BACKENDS = ['posts', 'comments', 'query', 'moderation'];
/** Who logs in to NATS, one user each: the backends, and the client, whose console reads the log. */
export const NATS_USERS = [...BACKENDS, 'client'];

/** Every YAML document of a folder, in file order, as `kubectl apply -f <folder>` reads them. */
export function loadSet(folder: string): { file: string; obj: Obj }[] {
  const dir = path.join(ROOT, folder);
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map((doc) => {
        if (doc.errors.length > 0) throw new Error(`${folder}/${file}: ${doc.errors[0].message}`);
        return { file, obj: doc.toJS() as Obj };
      }),
    );
}

/** The `$(NAME)` references in an env value (`$$(NAME)` is an escaped, literal one). */
export function references(value: string): string[] {
  return [...value.matchAll(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)].flatMap((m) => (m[1] ? [m[1]] : []));
}

/**
 * A container's environment as the kubelet makes it: each entry in order, `valueFrom` from the given
 * Secrets and pod fields, and `$(NAME)` replaced by an entry defined above it (left as written otherwise).
 */
export function expandEnv(env: EnvVar[], from: { secrets: Record<string, Record<string, string>>; fields: Record<string, string> }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of env) {
    const secretRef = entry.valueFrom?.secretKeyRef;
    const fieldRef = entry.valueFrom?.fieldRef;
    if (secretRef) {
      const value = from.secrets[secretRef.name]?.[secretRef.key];
      if (value === undefined) throw new Error(`${entry.name}: no key ${secretRef.key} in the Secret ${secretRef.name}`);
      out[entry.name] = value;
    } else if (fieldRef) {
      const value = from.fields[fieldRef.fieldPath];
      if (value === undefined) throw new Error(`${entry.name}: no field ${fieldRef.fieldPath}`);
      out[entry.name] = value;
    } else {
      out[entry.name] = (entry.value ?? '').replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string | undefined) =>
        name === undefined ? '$' : (out[name] ?? whole),
      );
    }
  }
  return out;
}

/** The Secret keys a command `kubectl create secret generic <name> --from-literal=<key>=…` creates, per command found in a text. */
export function secretCommands(text: string, name: string): string[][] {
  const commands = text.split('\n').filter((line) => new RegExp(`kubectl create secret generic ${name}(\\s|$)`).test(line));
  return commands.map((line) => [...line.matchAll(/--from-literal=([A-Za-z0-9_.-]+)=/g)].map((m) => m[1]));
}

/** A Kubernetes quantity of bytes (`2Gi`, `512Mi`, `1G`) in bytes. */
export function quantityBytes(quantity: string): number {
  const match = /^(\d+)([KMGT]i?)?$/.exec(quantity);
  if (!match) throw new Error(`not a byte quantity: ${quantity}`);
  const unit = match[2] ?? '';
  const power = { '': 0, K: 1, M: 2, G: 3, T: 4 }[unit.replace('i', '') as '' | 'K' | 'M' | 'G' | 'T'];
  return Number(match[1]) * (unit.endsWith('i') ? 1024 : 1000) ** power;
}
