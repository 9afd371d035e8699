/** `npm run bench`: every figure beside its goal, in the terminal, bench/results/ and docs/; `--quick` runs small sizes and leaves docs/ alone. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '@posts/runtime';
import { runBusBench } from './bus';
import { runCatchUpBench } from './catch-up';
import { runE2E } from './e2e';
import { figuresOf, goalsMet } from './goals';
import { runJetStreamBench, type JetStreamResults } from './jetstream';
import { runObservability } from './observability';
import { runReadPath, type ReadPathResults } from './read-path';
import { expressCeiling, HOMES, onPostgres, POSTGRES_NOT_RUN, postgresAdminUrl, runState, type StateResults } from './state';
import { benchmarksMd } from './report-markdown';
import { chartSvg, readPathSvg } from './report-svg';
import { figuresText, observabilityText, readPathText, scalingText, stateText, transportsText } from './report-text';
import { attempt, machineOf, type BenchResults, type Outcome } from './results';
import { FULL, QUICK } from './sizes';

const quick = process.argv.includes('--quick');
const SIZES = quick ? QUICK : FULL;
/** `--only state`: the state sections alone (and the judged end-to-end run they compare with), docs/ left alone. */
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
const skipped = (section: string) => only !== undefined && only !== section;

const say = (line: string) => process.stdout.write(line + '\n');

/** `run` announced as `what`; a failure is said at once, the figures in the tables at the end. */
async function part<T>(what: string, run: () => Promise<T>, section = 'all'): Promise<Outcome<T>> {
  if (skipped(section)) return { error: `not run: --only ${only}` };
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
    const what = `end to end: ${SIZES.posts} posts, ${SIZES.comments} comments from ${clients} clients`;
    const run = await part(what, () => runE2E({ ...sized, clients }), clients === SIZES.judgedClients ? 'state' : 'all');
    e2e.push({ clients, ...run });
  }
  const adminUrl = postgresAdminUrl();
  const judged = SIZES.judgedClients;
  const e2ePostgres = adminUrl
    ? await part(
        `end to end again, ${judged} clients, each backend's state in PostgreSQL`,
        () => onPostgres(adminUrl, (envOf) => runE2E({ ...sized, clients: judged, envOf })),
        'state',
      )
    : { notRun: POSTGRES_NOT_RUN };
  const ceiling = await part(`a bare Express process under ${judged} clients: its POSTs per CPU second (E)`, () => expressCeiling(judged), 'state');

  const runBus = (mode: string, secret: string | undefined) =>
    part(`bus, ${mode}: ${SIZES.busEvents} publishes from ${SIZES.busPublishers} publishers, log on disk`, () =>
      runBusBench({ workDir, events: SIZES.busEvents, publishers: SIZES.busPublishers, secret }),
    );
  const bus = await runBus('open mode', undefined);
  // A secret as `npm start` makes one: 32 random bytes, hex.
  const busSigned = await runBus('signed', randomBytes(32).toString('hex'));

  const state: StateResults = { runs: [], postgresNotRun: adminUrl ? undefined : POSTGRES_NOT_RUN };
  if (!adminUrl) say(`state in PostgreSQL not run: ${POSTGRES_NOT_RUN}`);
  for (const home of adminUrl ? HOMES : HOMES.filter((h) => h === 'embedded')) {
    for (const comments of SIZES.stateComments[home]) {
      const what = `state in a database, ${home}: a blog of ${comments} comments built, query rebuilt, SIGKILLed and resumed`;
      state.runs.push({ home, comments, ...(await part(what, () => runState({ workDir, posts: SIZES.readPathPosts, comments, home, adminUrl }), 'state')) });
    }
  }

  const catchUp = await part(`catch-up: query against a log of ${SIZES.catchUpEvents} events`, () => runCatchUpBench({ workDir, events: SIZES.catchUpEvents }));

  let jetStream: JetStreamResults = { notRun: `--only ${only}`, r1: {}, r3: {}, sdk: {}, catchUp: {}, e2e: {} };
  if (!skipped('all')) {
    say(
      `JetStream: the same publishers on one server and on three, the SDK, catch-up of ${SIZES.catchUpEvents} events, and end to end at ${SIZES.judgedClients} clients on R3 …`,
    );
    jetStream = await runJetStreamBench(workDir, SIZES);
  }
  if (jetStream.notRun) say(`  not run: ${jetStream.notRun}`);

  const readPath: ReadPathResults = [];
  for (const comments of skipped('all') ? [] : SIZES.readPathComments) {
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
  const flags = process.argv.slice(2).join(' ');
  const command = `npm run bench${flags ? ` -- ${flags}` : ''}`;
  const measured = { e2e, bus, busSigned, catchUp, jetStream, readPath, observability, expressCeiling: ceiling, e2ePostgres, state };
  const results: BenchResults = { startedAt: started.toISOString(), durationSeconds, command, quick, machine: m, sizes: SIZES, ...measured, figures: [] };
  results.figures = figuresOf(results);

  const file = path.join(resultsDir, `${results.startedAt.replace(/:/g, '-')}${quick ? '-quick' : ''}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  if (!quick && !only) {
    const md = path.join(ROOT, 'docs', 'benchmarks.md');
    writeFileSync(path.join(ROOT, 'docs', 'benchmarks.svg'), chartSvg(results));
    writeFileSync(path.join(ROOT, 'docs', 'read-path.svg'), readPathSvg(results));
    writeFileSync(md, benchmarksMd(results, existsSync(md) ? readFileSync(md, 'utf8') : undefined));
  }

  // Under --only, what was not run is left out rather than shown as not run.
  const figures = only ? results.figures.filter((f) => f.group.startsWith('State')) : results.figures;
  const others = [
    `\nEnd to end against clients:\n${scalingText(e2e)}`,
    `\nThe bus beside JetStream:\n${transportsText(results)}`,
    `\nThe read path against the blog's size:\n${readPathText(results)}`,
    `\nWhat watching it costs:\n${observabilityText(results)}`,
  ];
  say(
    [
      '',
      figuresText(figures),
      `\nState in a database, on both homes:\n${stateText(results)}`,
      ...(only ? [] : others),
      `\n${goalsMet(figures)} in ${results.durationSeconds} s (after the build). Raw results: ${path.relative(ROOT, file)}`,
      ...(quick || only ? [] : ['Charts and page: docs/benchmarks.svg, docs/read-path.svg, docs/benchmarks.md']),
    ].join('\n'),
  );
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : err}\n`);
  process.exit(1);
});
