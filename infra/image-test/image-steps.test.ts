/**
 * `npm run test:images`: with no Docker engine here, carries out the Dockerfile step by step for one
 * service's build args in a temporary folder (each stage a folder standing for `/`, ARG and ENV as
 * RUN's environment, COPY honouring .dockerignore, COPY --from reading an earlier stage's folder,
 * RUN through sh), starts the final stage's CMD in its WORKDIR and asks it for /healthz. A file the
 * image needs but the Dockerfile leaves out makes this fail. IMAGE_TEST_SERVICES picks the services
 * (posts, a backend with the bus SDK, and client, the Vite build); IMAGE_TEST_CONTEXT another build
 * context (the repository root).
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SERVICES as REGISTRY } from '../../scripts/runtime/src/registry';
import { buildArgs, dockerignore, readStages, ROOT, Stage } from '../test/dockerfile';
import { dependenciesOf, WORKSPACES } from '../test/workspaces';

const SERVICES = (process.env.IMAGE_TEST_SERVICES || 'posts,client').split(',');
const CONTEXT = path.resolve(process.env.IMAGE_TEST_CONTEXT || ROOT);
const context = dockerignore(path.join(CONTEXT, '.dockerignore'));
/** A context path as .dockerignore sees it: relative, with `/`. */
const inContext = (p: string): string => path.relative(CONTEXT, p).split(path.sep).join('/');

interface Built {
  root: string;
  cwd: string;
  env: Record<string, string>;
  cmd: string[];
}

/** `/app/x` inside the stage folder. */
const inStage = (root: string, p: string): string => path.join(root, path.posix.resolve('/', p));

function copyInto(from: string, to: string, filter: (src: string) => boolean): void {
  if (fs.statSync(from).isDirectory()) {
    // COPY of a folder copies what is in it, not the folder.
    fs.mkdirSync(to, { recursive: true });
    fs.cpSync(from, to, { recursive: true, filter, verbatimSymlinks: true });
  } else {
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
  }
}

/** Every stage's folder and state, the final stage last. */
function build(stages: Stage[], work: string): Built[] {
  const roots: string[] = [];
  const names: Record<string, number> = {};
  return stages.map((stage, index) => {
    const root = path.join(work, `stage-${index}`);
    fs.mkdirSync(root);
    roots.push(root);
    if (stage.name) names[stage.name] = index;
    const state: Built = { root, cwd: '/', env: {}, cmd: [] };
    for (const step of stage.steps) {
      const where = inStage(root, state.cwd);
      switch (step.keyword) {
        case 'WORKDIR':
          state.cwd = path.posix.resolve(state.cwd, step.args[0]);
          fs.mkdirSync(inStage(root, state.cwd), { recursive: true });
          break;
        case 'ARG':
        case 'ENV':
          // An ARG set by a build arg is in RUN's environment, as Docker gives it; one left unset is not.
          for (const pair of step.args.filter((a) => a.includes('='))) {
            const [k, ...v] = pair.split('=');
            state.env[k] = v.join('=');
          }
          break;
        case 'COPY': {
          const sources = step.args.slice(0, -1);
          const dest = step.args[step.args.length - 1];
          const destPath = path.posix.resolve(state.cwd, dest);
          const fromStage = step.flags.from;
          for (const src of sources) {
            let from: string;
            let filter = (_p: string): boolean => true;
            if (fromStage !== undefined) {
              const sourceRoot = roots[names[fromStage] ?? Number(fromStage)];
              if (!sourceRoot) throw new Error(`COPY --from=${fromStage}: no such stage`);
              from = inStage(sourceRoot, src);
            } else {
              from = path.join(CONTEXT, src);
              if (context.ignores(path.posix.normalize(src))) throw new Error(`COPY ${src}: excluded by .dockerignore`);
              // An ignored folder is still entered when a `!` rule may bring back something inside it.
              filter = (p) => (fs.lstatSync(p).isDirectory() ? !context.prunes(inContext(p)) : !context.ignores(inContext(p)));
            }
            if (!fs.existsSync(from)) throw new Error(`COPY ${src}: not in the ${fromStage ? `stage ${fromStage}` : 'build context'}`);
            const isDirDest = dest.endsWith('/') || sources.length > 1 || fs.statSync(from).isDirectory();
            const to = isDirDest && !fs.statSync(from).isDirectory() ? path.join(inStage(root, destPath), path.basename(src)) : inStage(root, destPath);
            copyInto(from, to, filter);
          }
          break;
        }
        case 'RUN': {
          const run = spawnSync('sh', ['-c', step.text], { cwd: where, env: { ...process.env, ...state.env }, stdio: 'inherit' });
          if (run.status !== 0) throw new Error(`RUN ${step.text}: exit ${run.status}`);
          break;
        }
        case 'CMD':
          state.cmd = JSON.parse(step.text);
          break;
        case 'USER':
        case 'EXPOSE':
        case 'LABEL':
          break;
        default:
          throw new Error(`${step.keyword}: not replayed here; teach this test about it`);
      }
    }
    return state;
  });
}

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

async function healthz(port: number, child: ChildProcess): Promise<number> {
  // Poll until the process answers or exits; jest's timeout bounds the wait.
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before answering`);
    try {
      return (await fetch(`http://127.0.0.1:${port}/healthz`)).status;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

describe.each(SERVICES)('Dockerfile --build-arg SERVICE=%s, carried out step by step', (SERVICE) => {
  let work: string;
  let stages: Built[];
  let built: Built;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), `image-${SERVICE}-`));
    fs.chmodSync(work, 0o755);
    const entry = REGISTRY.find((s) => s.name === SERVICE);
    if (!entry) throw new Error(`IMAGE_TEST_SERVICES: ${SERVICE} is not in the registry`);
    stages = build(readStages(path.join(CONTEXT, 'Dockerfile'), buildArgs(entry)), work);
    built = stages[stages.length - 1];
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));
    }
    fs.rmSync(work, { recursive: true, force: true });
  });

  test("the first stage holds every workspace's package.json and the lockfile, and no other file", () => {
    const root = inStage(stages[0].root, stages[0].cwd);
    const files = (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => !fs.statSync(path.join(root, f)).isDirectory());
    expect(files.filter((f) => !/(^|\/)package(-lock)?\.json$/.test(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', ...WORKSPACES.map((w) => `${w.folder}/package.json`)]));
  });

  test('the final stage holds the compiled output and production dependencies only', () => {
    const app = inStage(built.root, built.cwd);
    expect(fs.existsSync(path.join(app, 'dist', 'index.js'))).toBe(true);
    expect(fs.existsSync(path.join(app, 'src'))).toBe(false);
    expect(fs.existsSync(inStage(built.root, '/app/node_modules/typescript'))).toBe(false);
    expect(fs.existsSync(inStage(built.root, '/app/node_modules/jest'))).toBe(false);
  });

  test('the final stage holds the service and the workspaces it depends on, compiled, and no other', () => {
    const app = inStage(built.root, '/app');
    const needed = [...dependenciesOf(SERVICE), SERVICE];
    const compiled = WORKSPACES.filter((w) => fs.existsSync(path.join(app, w.folder, 'dist')));
    expect(compiled.map((w) => w.folder).sort()).toEqual([...needed].sort());
    for (const w of WORKSPACES) expect({ folder: w.folder, src: fs.existsSync(path.join(app, w.folder, 'src')) }).toEqual({ folder: w.folder, src: false });
    // npm linked the same workspaces, and only those, into node_modules.
    const linked = WORKSPACES.filter((w) => fs.existsSync(path.join(app, 'node_modules', w.name)));
    expect(linked.map((w) => w.folder).sort()).toEqual([...needed].sort());
  });

  test('CMD starts in the WORKDIR and answers 200 on /healthz (bus unreachable)', async () => {
    const port = await freePort();
    const deadBus = await freePort();
    // As root here, run it as nobody: like USER node, it must not need to write its own files.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    child = spawn(built.cmd[0], built.cmd.slice(1), {
      cwd: inStage(built.root, built.cwd),
      env: {
        PATH: process.env.PATH ?? '',
        ...built.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        EVENT_BUS_URL: `http://127.0.0.1:${deadBus}`,
      },
      stdio: 'inherit',
      ...asNobody,
    });
    expect(await healthz(port, child)).toBe(200);
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
