/** `npm run bench`: every figure beside its goal, in the terminal, bench/results/ and docs/; `--quick` runs small sizes and leaves docs/ alone. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '@posts/runtime';
import { runBusBench } from './bus';
import { runCatchUpBench } from './catch-up';
import { runE2E } from './e2e';
import { figuresOf, goalsMet } from './goals';
import { runJetStreamBench } from './jetstream';
import { runObservability } from './observability';
import { runReadPath, type ReadPathResults } from './read-path';
import { benchmarksMd } from './report-markdown';
import { chartSvg, readPathSvg } from './report-svg';
import { figuresText, observabilityText, readPathText, scalingText, transportsText } from './report-text';
import { attempt, machineOf, type BenchResults, type Outcome } from './results';
import { FULL, QUICK } from './sizes';

const quick = process.argv.includes('--quick');
const SIZES = quick ? QUICK : FULL;

const say = (line: string) => process.stdout.write(line + '\n');

/** `run` announced as `what`; a failure is said at once, the figures in the tables at the end. */
async function part<T>(what: string, run: () => Promise<T>): Promise<Outcome<T>> {
  say(`${what} …`);
  const outcome = await attempt(run);
  if (outcome.error !== undefined) say(`  failed: ${outcome.error}`);
  return outcome;
}

async function main() {
  const started = new Date();
  const t0 = performance.now();
  const resultsDir = path.join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  // Data folders on the repository's disk (gitignored), as `npm start` keeps its .data/: not a tmpfs /tmp whose fsync is free.
  const workDir = mkdtempSync(path.join(resultsDir, '.work-'));
  process.on('exit', () => rmSync(workDir, { recursive: true, force: true }));

  const m = machineOf(workDir);
  say(
    `posts.com bench${quick ? ' (--quick: small sizes, docs/ left alone)' : ''}: ${m.cpu}, ${m.cores} cores, Node ${m.node}, data on ${m.fs}, load average ${m.loadAverageAtStart}`,
  );
  const sized = { workDir, posts: SIZES.posts, comments: SIZES.comments };

  const e2e: BenchResults['e2e'] = [];
  for (const clients of SIZES.clients) {
    const run = await part(`end to end: ${SIZES.posts} posts, ${SIZES.comments} comments from ${clients} clients`, () => runE2E({ ...sized, clients }));
    e2e.push({ clients, ...run });
  }

  const runBus = (mode: string, secret: string | undefined) =>
    part(`bus, ${mode}: ${SIZES.busEvents} publishes from ${SIZES.busPublishers} publishers, log on disk`, () =>
      runBusBench({ workDir, events: SIZES.busEvents, publishers: SIZES.busPublishers, secret }),
    );
  const bus = await runBus('open mode', undefined);
  // A secret as `npm start` makes one: 32 random bytes, hex.
  const busSigned = await runBus('signed', randomBytes(32).toString('hex'));

  const catchUp = await part(`catch-up: query against a log of ${SIZES.catchUpEvents} events`, () => runCatchUpBench({ workDir, events: SIZES.catchUpEvents }));

  say(
    `JetStream: the same publishers on one server and on three, the SDK, catch-up of ${SIZES.catchUpEvents} events, and end to end at ${SIZES.judgedClients} clients on R3 …`,
  );
  const jetStream = await runJetStreamBench(workDir, SIZES);
  if (jetStream.notRun) say(`  not run: ${jetStream.notRun}`);

  const readPath: ReadPathResults = [];
  for (const comments of SIZES.readPathComments) {
    const run = await part(`read path: a blog of ${comments} comments over ${SIZES.readPathPosts} posts, through the ingress`, () =>
      runReadPath({ workDir, comments, posts: SIZES.readPathPosts }),
    );
    readPath.push({ comments, ...run });
  }

  const rounds = SIZES.observabilityRounds;
  const observability = await part(`watching it: ${SIZES.judgedClients} clients with metrics off, on, and on with traces, ${rounds} rounds taking turns`, () =>
    runObservability({ ...sized, clients: SIZES.judgedClients, rounds }),
  );

  const durationSeconds = Math.round((performance.now() - t0) / 100) / 10;
  const command = `npm run bench${quick ? ' -- --quick' : ''}`;
  const measured = { e2e, bus, busSigned, catchUp, jetStream, readPath, observability };
  const results: BenchResults = { startedAt: started.toISOString(), durationSeconds, command, quick, machine: m, sizes: SIZES, ...measured, figures: [] };
  results.figures = figuresOf(results);

  const file = path.join(resultsDir, `${results.startedAt.replace(/:/g, '-')}${quick ? '-quick' : ''}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  if (!quick) {
    const md = path.join(ROOT, 'docs', 'benchmarks.md');
    writeFileSync(path.join(ROOT, 'docs', 'benchmarks.svg'), chartSvg(results));
    writeFileSync(path.join(ROOT, 'docs', 'read-path.svg'), readPathSvg(results));
    writeFileSync(md, benchmarksMd(results, existsSync(md) ? readFileSync(md, 'utf8') : undefined));
  }

  say(
    [
      '',
      figuresText(results.figures),
      `\nEnd to end against clients:\n${scalingText(e2e)}`,
      `\nThe bus beside JetStream:\n${transportsText(results)}`,
      `\nThe read path against the blog's size:\n${readPathText(results)}`,
      `\nWhat watching it costs:\n${observabilityText(results)}`,
      `\n${goalsMet(results.figures)} in ${results.durationSeconds} s (after the build). Raw results: ${path.relative(ROOT, file)}`,
      ...(quick ? [] : ['Charts and page: docs/benchmarks.svg, docs/read-path.svg, docs/benchmarks.md']),
    ].join('\n'),
  );
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : err}\n`);
  process.exit(1);
});
