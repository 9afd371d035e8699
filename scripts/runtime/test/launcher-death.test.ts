/**
 * `npm start`'s launcher killed hard (a terminal closed, the OOM killer, SIGKILL) takes its services with it:
 * each notices its launcher is gone and stops, so none is left holding its port.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { installedNatsServer } from '../src/nats';
import { ROOT } from '../src/root';
import { sleep, until } from '@posts/kit/testing';
import { alive, descendantsOf } from './processes';

/** Every nats-server running with its store in `dataDir` (others may run beside this test). */
function natsServersIn(dataDir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        return alive(pid) && /^([^\0]*\/)?nats-server\0--config\0([^\0]*)/.exec(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))?.[2].startsWith(dataDir);
      } catch {
        return false;
      }
    });
}

describe.each([false, ...(installedNatsServer() ? [true] : [])])('npm start (nats: %s) SIGKILLed', (nats) => {
  test('leaves none of its processes running 5 s later', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'launcher-death-'));
    // As `npm start` runs it, on a free port.
    const launcher = spawn(process.execPath, [path.join(ROOT, 'scripts/runtime/dist/start.js'), ...(nats ? ['--nats'] : [])], {
      env: { ...process.env, PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    launcher.stdout.on('data', (c) => (out += c));
    launcher.stderr.on('data', (c) => (out += c));
    let children: number[] = [];
    try {
      await until('the launcher ready', () => out.includes('posts.com is running at') || launcher.exitCode !== null, 120_000);
      expect(out).toContain('posts.com is running at');
      children = descendantsOf(launcher.pid!);
      expect(natsServersIn(dataDir)).toHaveLength(nats ? 3 : 0);
      const started = [...out.matchAll(/started \S+, pid (\d+)/g)].map((m) => Number(m[1]));
      expect(started.length).toBe(nats ? 12 : 6);
      expect(children).toEqual(expect.arrayContaining(started));

      process.kill(launcher.pid!, 'SIGKILL');
      await sleep(5000);
      expect(children.filter(alive)).toEqual([]);
      expect(natsServersIn(dataDir)).toEqual([]);
    } finally {
      // Only if the test failed: leave nothing running.
      for (const pid of [launcher.pid!, ...children]) if (alive(pid)) process.kill(pid, 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
