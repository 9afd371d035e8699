/** Reads a Dockerfile into stages of steps with dockerfile-ast; shared by the Dockerfile test and test:images. */
import fs from 'node:fs';
import path from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';

export const ROOT = path.resolve(__dirname, '..', '..');

export interface Step {
  keyword: string;
  /** The arguments without flags; in all but RUN, CMD and ENTRYPOINT with `$NAME` expanded as Docker does. */
  args: string[];
  /** `--from=build` → { from: 'build' }. */
  flags: Record<string, string>;
  /** Everything after the keyword, expanded alike (a RUN's shell command and a CMD's JSON as written). */
  text: string;
}

export interface Stage {
  image: string;
  name: string | null;
  steps: Step[];
}

/** `$NAME` and `${NAME}` in a step, as Docker expands them from the stage's ARG and ENV values. */
const expand = (text: string, vars: Record<string, string | undefined>): string =>
  text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced: string | undefined, bare: string) => vars[braced ?? bare] ?? '');

/** The stages of a Dockerfile built with `--build-arg` values `buildArgs`; an ARG step's one argument becomes `NAME=value` as set. */
export function readStages(file: string, buildArgs: Record<string, string> = {}): Stage[] {
  const dockerfile = DockerfileParser.parse(fs.readFileSync(file, 'utf8'));
  const stages: Stage[] = [];
  let vars: Record<string, string | undefined> = {};
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword().toUpperCase();
    const raw = instruction.getArguments().map((a) => a.getValue());
    if (keyword === 'FROM') {
      stages.push({ image: raw[0], name: raw[2] ?? null, steps: [] });
      vars = {};
      continue;
    }
    if (stages.length === 0) throw new Error(`${file}: ${keyword} before FROM`);
    // The shell expands a RUN's variables, from the environment Docker gives it; Docker expands the rest.
    const literal = keyword === 'RUN' || keyword === 'CMD' || keyword === 'ENTRYPOINT';
    let args = literal ? raw : raw.map((a) => expand(a, vars));
    let text = instruction.getArgumentsContent() ?? '';
    if (!literal) text = expand(text, vars);
    if (keyword === 'ARG') {
      const [name, ...fallback] = raw[0].split('=');
      vars[name] = buildArgs[name] ?? (fallback.length > 0 ? fallback.join('=') : undefined);
      args = vars[name] === undefined ? [name] : [`${name}=${vars[name]}`];
      text = args[0];
    }
    if (keyword === 'ENV') for (const pair of args) vars[pair.split('=')[0]] = pair.split('=').slice(1).join('=');
    const flags: Record<string, string> = {};
    const withFlags = instruction as unknown as { getFlags?: () => { getName(): string; getValue(): string | null }[] };
    for (const flag of withFlags.getFlags?.() ?? []) flags[flag.getName()] = flag.getValue() ?? '';
    stages[stages.length - 1].steps.push({ keyword, args, flags, text });
  }
  return stages;
}

export interface DockerIgnore {
  /** Whether a path (relative, `/`-separated) stays out of the build context. */
  ignores(relPath: string): boolean;
  /** Whether nothing under a folder can be in the context, so a walk need not enter it. */
  prunes(relDir: string): boolean;
}

/** `.dockerignore` patterns (Go filepath.Match with `**`, as BuildKit reads them); the last rule that matches wins. */
export function dockerignore(file = path.join(ROOT, '.dockerignore')): DockerIgnore {
  const rules = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = path.posix.normalize((negate ? l.slice(1) : l).replace(/^\/+/, ''));
      const source = pattern
        .split('/')
        .map((part) =>
          part === '**'
            ? '.*'
            : part
                .replace(/[.+^${}()|\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]'),
        )
        .join('/')
        .replace(/\.\*\//g, '(?:.*/)?');
      // A pattern that names a folder excludes everything inside it too.
      return { negate, re: new RegExp(`^${source}(?:/.*)?$`) };
    });
  // An exclusion after the last `!` rule can be undone by nothing, so its folders need no walk.
  const final = rules.slice(rules.map((r) => r.negate).lastIndexOf(true) + 1);
  return {
    ignores(relPath) {
      let ignored = false;
      for (const rule of rules) if (rule.re.test(relPath)) ignored = !rule.negate;
      return ignored;
    },
    prunes: (relDir) => final.some((rule) => rule.re.test(relDir)),
  };
}

/** The `--build-arg`s a service's image is built with (`npm run images` and skaffold.yaml pass the same). */
export const buildArgs = ({ name, port }: { name: string; port: number }): Record<string, string> => ({ SERVICE: name, PORT: String(port) });
