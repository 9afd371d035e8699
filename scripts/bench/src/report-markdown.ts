/** docs/benchmarks.md: the page a run rewrites, keeping the hand-written profile section as it is. */
import type { E2EResult } from './e2e';
import { fmt } from './format';
import { goalsMet } from './goals';
import type { BenchResults } from './results';
import { WARMUP_COMMENTS, WARMUP_PUBLISHES } from './sizes';
import * as tables from './tables';

const PROFILE_START = '<!-- profile:start -->';
const PROFILE_END = '<!-- profile:end -->';

/** The text between the profile markers of the current page, kept as it is. */
export function profileSection(existing: string | undefined): string {
  if (!existing) return '\n';
  const a = existing.indexOf(PROFILE_START);
  const b = existing.indexOf(PROFILE_END);
  return a >= 0 && b > a ? existing.slice(a + PROFILE_START.length, b) : '\n';
}

function mdTable(t: tables.Table): string {
  const sep = t.head.map((_, i) => (tables.isRight(t, i) ? '---:' : '---'));
  return [t.head, sep, ...t.rows].map((r) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`).join('\n');
}

/** What the JetStream columns ran on, and what their PubAck promised. */
function jetStreamSetup(r: BenchResults): string {
  const js = r.jetStream;
  if (!js.server) return `JetStream was not run: ${js.notRun ?? 'no nats-server'} (\`apt-get install nats-server\`).`;
  const sync = js.server.syncAlways
    ? 'fsyncs every write before its PubAck (`sync_interval: always`, as `infra/k8s-nats` configures it)'
    : `acknowledges writes it has not fsynced yet: this version predates \`sync_interval: always\`\n(2.10), which \`infra/k8s-nats\` sets, and fsyncs every 2 minutes. The bus flushes (O_DSYNC) before every acknowledgement, so its\ncolumns pay for a flush the JetStream columns do not`;
  return `JetStream is nats-server ${js.server.version}, which ${sync}.`;
}

/** The read path's table, a column per blog size, and what it ran on. */
function readPathSection(r: BenchResults): string {
  if (!r.readPath?.length) return '\nNot measured in this run.\n';
  const notes = tables.readPathNotes(r);
  const shown = r.readPath.find((s) => s.result)?.result;
  return `
The whole system started on a log of N comments over ${fmt(r.sizes.readPathPosts)} posts, written straight to its data folder (as
*Catch-up* does), then through the local ingress: the first page \`GET /posts/page\` (its uncompressed body, and the latency
of ${fmt(shown?.page.requests ?? 0)} requests from ${fmt(shown?.page.clients ?? 0)} keep-alive clients, after ${fmt(shown?.pageWarmup?.requests ?? 0)} right
after start, reported as the warm-up, as the end-to-end runs warm up), one comment at a time posted with \`/posts/live\` open
(the time until its \`comment\` event arrives, and that event's bytes), the RSS of comments and query afterwards, and the
page in headless Chromium (navigation until the first post's article is visible, the median of a few). Ten clients keep ten
reads in flight, so one stall of a process or of the machine delays ten at once: over 500 reads the p99 would be the single
worst stall, so the judged p99 is over ${fmt(shown?.page.requests ?? 0)}.

![The read path's figures against the blog's size: first page size and latency, first paint, a new comment's live update and its bytes, RSS of comments and query, each with its goal](read-path.svg)

${mdTable(tables.readPathTable(r))}
${notes.length ? `\n${notes.map((n) => `- ${n}`).join('\n')}\n` : ''}`;
}

function observabilitySection(r: BenchResults): string {
  const o = r.observability;
  if (!o) return '\nNot measured in this run.\n';
  if (!o.result) return `\nFailed: ${o.error ?? 'no result'}\n`;
  const x = o.result;
  return `
The ${r.sizes.judgedClients}-client load of *Load against clients*, ${fmt(x.rounds)} rounds of three runs taking turns: metrics off (no
\`METRICS_PORT\`: nothing timed or served), metrics on as the manifests have them with every process's \`/metrics\` scraped
every 5 s (${fmt(x.scrapes)} scrapes, ${fmt(x.scrapeErrors)} not answered 200), and traces on as well
(\`OTEL_EXPORTER_OTLP_ENDPOINT\` at a receiver on loopback that counted ${fmt(x.spans)} spans and kept none).

${mdTable(tables.observabilityTable(r))}
`;
}

function stateSection(r: BenchResults): string {
  if (!r.state) return '\nNot measured in this run.\n';
  return `
Each backend (posts, comments, query, moderation) keeps its projection in a database of its own, embedded (SQLite, a
file in its pod's folder) or PostgreSQL (a database per backend, made on the server \`BENCH_DATABASE_URL\` names and
dropped after). For each home and each blog, its log (N comments over ${fmt(r.sizes.readPathPosts)} posts, three events each) is written
straight to the bus's file as *Catch-up* does, then \`npm start\`'s launcher starts the whole system on it: every
backend builds its state from the whole log at once (its events/s from its own log's "listening" to "caught up").
Then query alone is rebuilt (\`POST /rebuild\`, \`GET /rebuild\` until done), SIGKILLed and restarted by the launcher
(timed from its new process's spawn to its first \`/readyz\` 200; its log must say "resumed at seq"), the other three
SIGKILLed and resumed too, the first page read through the ingress as *The read path* reads it, and then each backend's
RSS taken. Database sizes are each backend's \`db_size_bytes\` on \`/metrics\` after the build. The backends log at
their manifests' level (info) here, to be seen resuming.

${mdTable(tables.stateTable(r))}

The judged end-to-end run on each home (for PostgreSQL, the same run again with a database per backend), against E/8:
E is the POSTs per CPU second of one bare Express process (\`express.json\` and a route answering 201) under the same
${r.sizes.judgedClients} keep-alive clients, in the same run: what one core running nothing but Express would answer.

${mdTable(tables.ceilingTable(r))}
`;
}

/** The whole page for a run; `existing` is the current page, whose profile section is kept. */
export function benchmarksMd(r: BenchResults, existing: string | undefined): string {
  const m = r.machine;
  const e50 = r.e2e.find((e) => e.clients === r.sizes.judgedClients)?.result;
  const cpuTable = (e: E2EResult | undefined, on: string) => {
    if (!e) return '';
    const byCpu = Object.entries(e.cpuSeconds).sort((a, b) => b[1] - a[1]);
    const rows = byCpu.map(([name, s]) => [name, fmt(s, 2), `${fmt((100 * s) / (e.writeSeconds + e.settleSeconds), 0)} %`]);
    return `\nCPU seconds per process during the ${r.sizes.judgedClients}-client run ${on} (first comment to settled; % of one core over that time):\n\n${mdTable({ head: ['process', 'CPU s', 'of one core'], rows })}\n`;
  };
  return `# Benchmarks

Figures of the last run of \`npm run bench\` (${r.startedAt.replace('T', ' ').slice(0, 16)} UTC, ${fmt(r.durationSeconds)} s after the build):
**${goalsMet(r.figures)}.** This page and [the chart](benchmarks.svg) are rewritten by every run; the raw
results are in \`bench/results/<timestamp>.json\` (not committed).

\`\`\`sh
npm ci && npm run bench
\`\`\`

## The figures

${mdTable(tables.figuresTable(r.figures, (s) => `**${s}**`))}

## The bus against JetStream

The same publishers and events on each transport, in the same run (see *How it measures* below).
${jetStreamSetup(r)}

${mdTable(tables.publishTable(r))}

${mdTable(tables.catchUpTable(r))}

End to end, the ${r.sizes.judgedClients}-client run of *Load against clients* below beside the same load on JetStream as
\`npm start -- --nats\` runs it (\`infra/k8s-nats\`: three nats-server nodes, the stream at R3, two processes of each
backend, no event bus), through the same local ingress, on the same ${m.cores} cores. The ratio is JetStream's figure ÷ the bus's.

${mdTable(tables.e2eTable(r))}

## The read path against the blog's size
${readPathSection(r)}
## What watching it costs
${observabilitySection(r)}
## State in a database
${stateSection(r)}
## Load against clients

![Write latency p50/p90/p99 and settled throughput against concurrent clients](benchmarks.svg)

${mdTable(tables.scalingTable(r.e2e))}

Each run: ${fmt(r.sizes.posts)} posts, then ${fmt(r.sizes.comments)} comments (every fifth containing "orange") from N
concurrent keep-alive clients, then \`GET /posts\` polled every 20 ms until every accepted comment is there once with
its final status. The ${r.sizes.judgedClients}-client run is the one judged against the goals.
${cpuTable(e50, 'on the bus')}${cpuTable(r.jetStream.e2e.result, 'on JetStream R3, two processes per backend')}
## The machine

| | |
|---|---|
| CPU | ${m.cpu} |
| cores | ${m.cores} |
| memory | ${fmt(m.memoryGB, 1)} GB |
| Node | ${m.node} |
| OS | ${m.os} |
| data folders on | ${m.fs} |
| load average at start | ${fmt(m.loadAverageAtStart, 2)} |

## How it measures

- **Black-box.** Only HTTP answers and \`/proc\` (CPU time, \`VmRSS\`, \`VmHWM\`). Every run starts from an empty data
  folder under \`bench/results/\` (the repository's disk, as \`npm start\`'s \`.data/\`), removed afterwards.
- **End to end** goes through the local ingress of \`npm start\` (the same launcher code, all six services, the bus's
  log on disk). The clients run in a process of their own, as browsers would. Latency is one comment's
  \`POST /posts/:id/comments\`, request to last byte of the answer; settled throughput is accepted comments ÷
  (write time + settle time). Right after start, before the measured run, the same clients write ${fmt(WARMUP_COMMENTS)}
  comments on a post of their own (checked too, not judged): a freshly started Node system answers its first
  second slowly (cold JIT, new connections), and that first second is reported in its own row rather than folded
  into the steady state's p99.
- **Bus:** \`node event-bus/dist/index.js\` with \`EVENT_LOG_PATH\` and no subscribers; ${fmt(r.sizes.busEvents)} single-event
  publishes (a \`CommentCreated\` each, with the id its contract gives it) from ${r.sizes.busPublishers} keep-alive connections.
  Right after the last 201 the bus is SIGKILLed and the file must hold every acknowledged event, with \`seq\` 1, 2, 3 …
  Then a \`write\`(≈200 bytes) + \`fdatasync\` loop in the same folder gives the raw flush rate; the ratio is publishes
  per second ÷ flushes per second.
- **Bus against JetStream:** the bus runs twice, in open mode and with a \`BUS_SECRET\` as \`npm start\` runs it (each
  publish signed with \`@posts/bus-http\`'s signer). JetStream runs on loopback with file storage in the same folder:
  one server (R1), then three routed into a cluster (R3, the stream with three replicas). Its ${r.sizes.busPublishers} publishers share one
  connection, as nats.js advises (NATS multiplexes a connection; HTTP/1.1 needs a socket per request in flight), and
  send the same events (the envelope the SDK's JetStream transport stores) with \`js.publish(subject, data, {msgID})\`,
  awaiting each PubAck. The SDK column is one \`connectBus('nats://…')\`, as a service holds it, the same
  ${r.sizes.busPublishers} publishers publishing through it. Before each timed publish run, bus or JetStream, the
  same publishers send ${fmt(WARMUP_PUBLISHES)} untimed events, so no run pays for a cold process. For catch-up, the log below is
  published into a fresh stream, and query is started with \`EVENT_BUS_URL=nats://…\` and timed the same way.
  End to end on JetStream is the launcher of \`npm start -- --nats\` on a fresh data folder: the three nodes of
  \`infra/k8s-nats\` on loopback, the stream at R3, two processes of each backend behind the ingress's round robin,
  then the same warm-up, sizes and clients as the bus's ${r.sizes.judgedClients}-client run. With two query processes, the run is
  settled once two \`GET /posts\` in a row (one from each) show every comment. CPU is every replica's and every
  node's.
- **Catch-up:** a log of ${fmt(r.sizes.catchUpEvents)} events (posts, and per comment its \`CommentCreated\`,
  \`CommentModerated\` and \`CommentUpdated\`) is written to a file; the bus starts on it with query as its subscriber,
  then query is timed from spawn to its first 200 on \`/readyz\`. RSS of both is read once query is ready and has
  served one \`GET /posts\`${r.catchUp.result ? ` (${fmt(r.catchUp.result.firstGetPostsMs)} ms, ${fmt(r.catchUp.result.getPostsMB, 1)} MB)` : ''}.
- No timing assertions run in \`npm test\`, and the bench is not part of \`.ci/run\`: figures from a shared or busy
  machine are noise, so compare runs on the same quiet machine.

## What the profile showed

${PROFILE_START}${profileSection(existing)}${PROFILE_END}
`;
}
