import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Supervisor, type ProcessSpec } from '../src/supervisor';
import { sleep, until } from '@posts/kit/testing';
import { alive, fast } from './processes';

const nodeSpec = (name: string, script: string): ProcessSpec => ({ name, command: process.execPath, args: ['-e', script], cwd: os.tmpdir(), env: process.env });

/** A started process that says "up" and stays up, and the lines it and its supervisor logged. */
async function sleeper(spec: Partial<ProcessSpec> = {}): Promise<{ s: Supervisor; lines: string[] }> {
  const lines: string[] = [];
  const s = new Supervisor({ ...nodeSpec('sleeper', 'console.log("up"); setInterval(() => {}, 1000)'), ...spec }, (l) => lines.push(l), fast);
  s.start();
  await until('first start', () => lines.includes('up'));
  return { s, lines };
}

describe('Supervisor', () => {
  test('restarts a crashing process with a growing, capped backoff, and says so', async () => {
    const lines: string[] = [];
    const s = new Supervisor(nodeSpec('crasher', 'process.exit(3)'), (l) => lines.push(l), fast);
    s.start();
    try {
      await until('four restarts', () => s.restarts() >= 4);
    } finally {
      await s.stop(1000);
    }
    const delays = lines.filter((l) => l.startsWith('restarting')).slice(0, 4);
    expect(delays).toEqual([
      'restarting crasher in 0.05s (exit code 3)',
      'restarting crasher in 0.1s (exit code 3)',
      'restarting crasher in 0.2s (exit code 3)',
      'restarting crasher in 0.2s (exit code 3)',
    ]);
    const count = s.restarts();
    await sleep(300);
    expect(s.restarts()).toBe(count); // stopped means no more restarts
    expect(s.running()).toBe(false);
  });

  test('a killed process reports 128 + signal, as the kubelet, and comes back', async () => {
    const { s, lines } = await sleeper();
    try {
      const first = s.pid()!;
      s.kill('SIGKILL');
      await until('a new process', () => s.running() && s.pid() !== first && lines.filter((l) => l === 'up').length === 2);
      expect(lines).toContain('restarting sleeper in 0.05s (exit code 137)');
      // Each start says its pid, for a person to signal it by hand.
      expect(lines.filter((l) => l.startsWith('started '))).toEqual([`started sleeper, pid ${first}`, `started sleeper, pid ${s.pid()}`]);
      expect(alive(first)).toBe(false);
    } finally {
      await s.stop(1000);
    }
  });

  test('a stopped process starts again on start(), counted as a restart', async () => {
    const { s, lines } = await sleeper();
    try {
      expect(() => s.start()).toThrow(/already running/);
      await s.stop(1000);
      await sleep(150);
      expect([s.running(), s.restarts()]).toEqual([false, 0]);
      s.start();
      await until('second start', () => lines.filter((l) => l === 'up').length === 2);
      expect([s.running(), s.restarts()]).toEqual([true, 1]);
    } finally {
      await s.stop(1000);
    }
  });

  test('stop ends the whole process group, SIGKILLing what ignores SIGTERM', async () => {
    const lines: string[] = [];
    // A leader whose child ignores SIGTERM: what npm → nodemon → ts-node looks like in dev mode.
    const grandchild = `process.on('SIGTERM', () => {}); console.log('grandchild ' + process.pid); setInterval(() => {}, 1000)`;
    const leader = `require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(grandchild)}], { stdio: 'inherit' }); setInterval(() => {}, 1000)`;
    const s = new Supervisor(nodeSpec('family', leader), (l) => lines.push(l), fast);
    s.start();
    const leaderPid = s.pid()!;
    const line = await until('the grandchild', () => lines.find((l) => l.startsWith('grandchild ')));
    const grandPid = Number(line.split(' ')[1]);
    await s.stop(300);
    expect(alive(leaderPid)).toBe(false);
    expect(alive(grandPid)).toBe(false);
    expect(lines).toContain('family did not stop within 0.3s; killed');
    expect(lines.some((l) => l.startsWith('restarting'))).toBe(false);
  });

  test('a guarded command: its own pid is the one reported, and the guard ends as it ends', async () => {
    const { s, lines } = await sleeper({ guard: true });
    try {
      const pid = await until('its pid', () => s.pid());
      expect(lines.filter((l) => l.startsWith('started '))).toEqual([`started sleeper, pid ${pid}`]);
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('setInterval'); // the command, not the guard
      process.kill(pid, 'SIGKILL');
      await until('restarted', () => lines.includes('restarting sleeper in 0.05s (exit code 137)'));
    } finally {
      await s.stop(1000);
    }
  });
});
