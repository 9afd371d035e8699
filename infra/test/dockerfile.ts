/** Reads a Dockerfile into stages of steps with dockerfile-ast; shared by the Dockerfile test and test:images. */
import fs from 'node:fs';
import path from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';

export const ROOT = path.resolve(__dirname, '..', '..');

export interface Step {
  keyword: string;
  /** The arguments without flags, as written. */
  args: string[];
  /** `--from=build` → { from: 'build' }. */
  flags: Record<string, string>;
  /** Everything after the keyword, as written (a RUN's shell command, a CMD's JSON). */
  text: string;
}

export interface Stage {
  image: string;
  name: string | null;
  steps: Step[];
}

export function readStages(file: string): Stage[] {
  const dockerfile = DockerfileParser.parse(fs.readFileSync(file, 'utf8'));
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword().toUpperCase();
    const args = instruction.getArguments().map((a) => a.getValue());
    if (keyword === 'FROM') {
      stages.push({ image: args[0], name: args[2] ?? null, steps: [] });
      continue;
    }
    if (stages.length === 0) throw new Error(`${file}: ${keyword} before FROM`);
    const flags: Record<string, string> = {};
    const withFlags = instruction as unknown as { getFlags?: () => { getName(): string; getValue(): string | null }[] };
    for (const flag of withFlags.getFlags?.() ?? []) flags[flag.getName()] = flag.getValue() ?? '';
    stages[stages.length - 1].steps.push({ keyword, args, flags, text: instruction.getArgumentsContent() ?? '' });
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
