/** infra/k8s-nats as its tests read it: the rendered objects, who logs in to NATS, and the env Kubernetes would give a container. */
import { rendered, type Obj } from './essentials';

export type { Obj };
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; fieldRef?: { fieldPath: string } };
}

/** What `kubectl apply -k infra/k8s-nats` applies. */
export const objects: Obj[] = rendered('infra/k8s-nats');
/** The services that publish to and read the log. */
export const BACKENDS = ['posts', 'comments', 'query', 'moderation'];
/** Who logs in to NATS, one user each: the backends, and the client, whose console reads the log. */
export const NATS_USERS = [...BACKENDS, 'client'];

export function named(kind: string, name: string): Obj {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
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
