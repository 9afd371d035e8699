// One process kept running as the kubelet keeps a container with `restartPolicy: Always`: restarted with a doubling backoff.
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import { sleep } from './wait';

/** The first delay, doubled after each crash up to `maxMs`, back to the first once a process stayed up `resetAfterMs`. */
export interface Backoff {
  initialMs: number;
  maxMs: number;
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 500, maxMs: 10_000, resetAfterMs: 10_000 };

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Under guard.ts: for a command that cannot notice its launcher is gone (nats-server; npm in dev mode). */
  guard?: boolean;
}

/** guard.ts built, or from its source under ts-jest. */
const GUARD = __filename.endsWith('.ts')
  ? {
      args: ['-r', require.resolve('ts-node/register/transpile-only'), path.join(__dirname, 'guard.ts')],
      env: { TS_NODE_PROJECT: path.join(__dirname, '../tsconfig.json') },
    }
  : { args: [path.join(__dirname, 'guard.js')], env: {} };

/** False when the group is gone. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

function pipeLines(stream: Readable, write: (line: string) => void): void {
  readline.createInterface({ input: stream, crlfDelay: Infinity }).on('line', write);
}

const seconds = (ms: number) => `${ms / 1000}s`;

/** Each start gets its own process group: what it spawns is signalled with it, and a Ctrl-C reaches only the launcher, which stops everything in order. */
export class Supervisor {
  private child?: ChildProcess;
  private pgid?: number;
  /** The child's, or under a guard the one it reports. */
  private commandPid?: number;
  private stopping = false;
  private restartTimer?: NodeJS.Timeout;
  private delay: number;
  private startedAt = 0;
  private starts = 0;

  constructor(
    readonly spec: ProcessSpec,
    private readonly log: (line: string) => void,
    private readonly backoff: Backoff = DEFAULT_BACKOFF,
  ) {
    this.delay = backoff.initialMs;
  }

  /** Every start is a new instance (see restarts()). */
  start(): void {
    if (this.child) throw new Error(`${this.spec.name} is already running`);
    clearTimeout(this.restartTimer);
    this.stopping = false;
    this.starts++;
    const { name, command, args, cwd, env, guard } = this.spec;
    // The IPC channel closes when this process dies, however it dies: the child (or its guard) then stops.
    const [file, argv, childEnv] = guard ? [process.execPath, [...GUARD.args, command, ...args], { ...env, ...GUARD.env }] : [command, args, env];
    const child = spawn(file, argv, { cwd, env: childEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    this.child = child;
    this.pgid = child.pid;
    this.commandPid = guard ? undefined : child.pid;
    this.startedAt = Date.now();
    // The pid to signal by hand: `kill -STOP <pid>` pauses it (the console shows its lag grow), `kill -CONT <pid>` resumes it.
    const started = (pid: number) => this.log(`started ${name}, pid ${(this.commandPid = pid)}`);
    if (!guard && child.pid !== undefined) started(child.pid);
    child.on('message', (m: { pid?: number }) => typeof m.pid === 'number' && started(m.pid));
    pipeLines(child.stdout!, this.log);
    pipeLines(child.stderr!, this.log);
    child.on('error', (err) => {
      this.log(`cannot start ${name}: ${err.message}`);
      if (child.pid === undefined) this.onExit(child, 127, null); // spawn failed: there will be no 'exit'
    });
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    this.child = undefined;
    if (this.stopping) return; // stop() watches the rest of the group
    // Whatever the leader left behind (nodemon's child in dev mode) must not hold the port for the next start.
    if (this.pgid !== undefined) signalGroup(this.pgid, 'SIGKILL');
    this.pgid = undefined;

    // Reported as the kubelet does: a death by signal is 128 + its number (137 for SIGKILL).
    const exitCode = code ?? 128 + (signal ? os.constants.signals[signal] : 0);
    if (Date.now() - this.startedAt >= this.backoff.resetAfterMs) this.delay = this.backoff.initialMs;
    this.log(`restarting ${this.spec.name} in ${seconds(this.delay)} (exit code ${exitCode})`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.start();
    }, this.delay);
    this.delay = Math.min(this.delay * 2, this.backoff.maxMs);
  }

  /** True while a started process is alive (not while it waits for a restart). */
  running(): boolean {
    return this.child !== undefined;
  }

  pid(): number | undefined {
    return this.child && this.commandPid;
  }

  /** Starts after the first: after a crash or a stop(). */
  restarts(): number {
    return Math.max(0, this.starts - 1);
  }

  /** Unless stopping, the exit counts as a crash and restarts. */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child && this.pgid !== undefined) signalGroup(this.pgid, signal);
  }

  /** SIGTERM to the group, SIGKILL after `graceMs`. No restart until start(). */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const pgid = this.pgid;
    if (pgid === undefined) return;
    const child = this.child;
    const exited = child ? new Promise<void>((resolve) => child.once('exit', () => resolve())) : Promise.resolve();
    signalGroup(pgid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (signalGroup(pgid, 0) && Date.now() < deadline) await sleep(50);
    if (signalGroup(pgid, 'SIGKILL')) {
      this.log(`${this.spec.name} did not stop within ${seconds(graceMs)}; killed`);
      const killedBy = Date.now() + 2000; // SIGKILL is not instant: wait until the group is really gone
      while (signalGroup(pgid, 0) && Date.now() < killedBy) await sleep(20);
    }
    await exited;
  }

  /** For process 'exit' handlers, which cannot wait: kill at once. */
  killNow(): void {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    if (this.pgid !== undefined) signalGroup(this.pgid, 'SIGKILL');
  }
}
