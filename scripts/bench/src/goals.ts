/** The goals: each figure of a run beside its goal, and whether it met it. */
import { fmt } from './format';
import type { BenchResults, Figure } from './results';
import { WARMUP_COMMENTS } from './sizes';

/** Every figure of a run beside its goal; a part of the bench that failed misses each goal it had. */
export function figuresOf(r: Pick<BenchResults, 'e2e' | 'bus' | 'catchUp' | 'sizes'>): Figure[] {
  const out: Figure[] = [];
  const add = (
    group: string,
    name: string,
    value: number | undefined,
    goal: string,
    pass: ((v: number) => boolean) | null,
    show: (v: number) => string = (v) => fmt(v),
  ) =>
    out.push({
      group,
      name,
      value: value === undefined || Number.isNaN(value) ? 'failed' : show(value),
      goal,
      pass: value === undefined || Number.isNaN(value) ? (pass ? false : null) : pass ? pass(value) : null,
    });

  const judged = r.e2e.find((e) => e.clients === r.sizes.judgedClients)?.result;
  const g = `End to end, ${r.sizes.judgedClients} clients`;
  add(g, 'errors (non-201 answers)', judged?.errors, '0', (v) => v === 0);
  add(g, 'lost (accepted, never in GET /posts)', judged?.lost, '0', (v) => v === 0);
  add(g, 'duplicated in GET /posts', judged?.duplicated, '0', (v) => v === 0);
  add(g, 'wrong or still pending status', judged ? judged.wrongStatus + judged.stillPending : undefined, '0', (v) => v === 0);
  add(g, 'settled throughput, comments/s', judged?.settledPerSecond, '≥ 400', (v) => v >= 400);
  add(
    g,
    'write latency p99, ms',
    judged?.latencyMs.p99,
    '≤ 100',
    (v) => v <= 100,
    (v) => fmt(v, 1),
  );
  add(g, `write latency p99 of the ${fmt(WARMUP_COMMENTS)} warm-up comments right after start, ms`, judged?.warmup?.latencyMs.p99, '(reported)', null, (v) =>
    fmt(v, 1),
  );
  add(
    g,
    'settled after the last write, s',
    judged?.settleSeconds,
    '≤ 1',
    (v) => v <= 1,
    (v) => fmt(v, 2),
  );

  const bus = r.bus.result;
  const b = `Bus, ${r.sizes.busPublishers} publishers, log on disk`;
  add(b, 'publish throughput, events/s', bus?.perSecond, '≥ 5,000', (v) => v >= 5000);
  add(b, 'errors', bus?.errors, '0', (v) => v === 0);
  add(b, 'acknowledged but not in the file after SIGKILL', bus ? bus.missingOnDisk + bus.outOfOrder : undefined, '0', (v) => v === 0);
  add(b, 'raw fsync rate of the same disk, /s', bus?.rawFsyncPerSecond, '(reference)', null);
  add(b, 'bus CPU during the publishes, s (wall s)', bus?.cpuSeconds.bus, '(reported)', null, (v) => `${fmt(v, 2)} (${fmt(bus!.seconds, 2)})`);
  add(b, 'publishes per raw fsync (group commit)', bus?.ratio, '(reported)', null, (v) => `${fmt(v, 1)}×`);

  const c = r.catchUp.result;
  const cg = `Catch-up, ${fmt(r.sizes.catchUpEvents)} events`;
  add(
    cg,
    'query ready after start, s',
    c?.readySeconds,
    '≤ 5',
    (v) => v <= 5,
    (v) => fmt(v, 2),
  );
  add(
    cg,
    'bus RSS, MB',
    c?.rssMB.bus,
    '≤ 150',
    (v) => v <= 150,
    (v) => fmt(v, 1),
  );
  add(
    cg,
    'query RSS, MB',
    c?.rssMB.query,
    '≤ 150',
    (v) => v <= 150,
    (v) => fmt(v, 1),
  );
  add(
    cg,
    'bus / query peak RSS, MB',
    c ? Math.max(c.peakRssMB.bus, c.peakRssMB.query) : undefined,
    '(reported)',
    null,
    () => `${fmt(c!.peakRssMB.bus, 1)} / ${fmt(c!.peakRssMB.query, 1)}`,
  );
  return out;
}
