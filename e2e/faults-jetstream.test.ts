// The fault suite on NATS JetStream, as `npm start -- --nats` runs it (infra/k8s-nats: three nats-server nodes, two processes
// of each backend behind the ingress, no event bus): 20,000 comments from 50 clients through the ingress, with writers adding
// posts and comments beside them, while one process of each backend in turn, and in another run one of the three NATS nodes,
// is SIGKILLed well into the load and started again by the launcher. Then every 201 is in the read model exactly once with its
// moderated status, none is pending, the comments service agrees, a refused write stored nothing, and refusals stay within 1 %
// of the writes. An unclear answer (a reset connection, a 502 after the request reached a service, 503 outcome_unknown) is
// retried with the same Idempotency-Key, and counted apart from the refusals.
import http from 'node:http';
import { request, type System, type WorkloadName } from '@posts/runtime';
import { runLoad, type LoadResult } from '@posts/runtime/load';
import { restart, sleep, startTestSystem, unsettled, whyNoJetStream, Writers, type ReadModel } from './support';

const missing = whyNoJetStream();
if (missing) console.warn(`the JetStream fault suite is skipped: ${missing}`);
const describeOnJetStream = missing ? describe.skip : describe;

const COMMENTS = 20_000;
const CLIENTS = 50;
const POSTS = 20;
/** Longest wait for the read models to settle after the last write (the load's own and the comments service's). */
const SETTLE_MS = 60_000;

/** One SIGKILL during a load: which process, when, and how long until the launcher had it back. */
interface Kill {
  name: WorkloadName;
  replica: number;
  /** Killed once this many comments of the load were accepted. */
  at: number;
  /** Kill → the launcher restarted it and every process is ready again. */
  seconds?: number;
  /** Comments accepted by then. */
  backAt?: number;
}

describeOnJetStream('nothing is lost on NATS JetStream (npm start -- --nats): faults under load', () => {
  let sys: System;
  let base: URL;
  const agent = new http.Agent({ keepAlive: true });

  beforeAll(async () => {
    sys = await startTestSystem('faults-jetstream', { nats: true, backoff: { initialMs: 200, maxMs: 2000, resetAfterMs: 5000 } });
    base = new URL(`http://127.0.0.1:${sys.ports.ingress}`);
  }, 120_000);

  afterAll(async () => {
    agent.destroy();
    await sys?.stop();
  });

  const workloads: WorkloadName[] = ['nats', 'posts', 'comments', 'query', 'moderation', 'client'];
  const restartsNow = () => Object.fromEntries(workloads.map((w) => [w, sys.restarts(w)]));

  /**
   * The NATS node to kill: the one most processes follow the stream through (a process's consumer that follows the stream lives on
   * one node and is lost with it), the stream's leader among equals. A following consumer has a pull request waiting; one left from
   * a finished read (a page of the log) has none.
   */
  async function nodeToKill(): Promise<{ replica: number; held: string }> {
    type Jsz = {
      account_details?: Array<{ stream_detail?: Array<{ name: string; cluster?: { leader?: string }; consumer_detail?: Array<{ num_waiting?: number }> }> }>;
    };
    const pods = sys.pods('nats');
    const nodes = await Promise.all(
      pods.map(async (pod) => {
        const jsz = (await (await fetch(`http://127.0.0.1:${pod.ports[8222]}/jsz?accounts=true&streams=true&consumers=true`)).json()) as Jsz;
        const stream = jsz.account_details?.flatMap((a) => a.stream_detail ?? []).find((st) => st.name === 'EVENTS');
        const following = (stream?.consumer_detail ?? []).filter((c) => (c.num_waiting ?? 0) > 0).length;
        return { name: pod.name, following, leads: stream?.cluster?.leader === pod.name };
      }),
    );
    const score = (n: (typeof nodes)[number]) => n.following * 2 + (n.leads ? 1 : 0);
    const replica = nodes.reduce((best, n, i) => (score(n) > score(nodes[best]) ? i : best), 0);
    return { replica, held: nodes.map((n) => `${n.name} ${n.following} following consumers${n.leads ? ' and the stream leader' : ''}`).join(', ') };
  }

  /** A GET to one process of a backend, past the ingress. */
  const getFrom = (name: 'query' | 'comments', replica: number, p: string) =>
    request(agent, new URL(`http://127.0.0.1:${Object.values(sys.pods(name)[replica].ports)[0]}`), 'GET', p);

  /** How many comments each query process shows, and how many of them pending: which one lags, when the load does not settle. */
  async function queryProcesses(): Promise<string> {
    const parts: string[] = [];
    for (const i of [0, 1]) {
      const res = await getFrom('query', i, '/posts');
      const comments = res.status === 200 ? Object.values(JSON.parse(res.body) as ReadModel).flatMap((p) => p.comments) : undefined;
      parts.push(
        comments ? `query-${i} ${comments.length} comments, ${comments.filter((c) => c.status === 'pending').length} pending` : `query-${i} ${res.status}`,
      );
    }
    return parts.join('; ');
  }

  /**
   * Waits until each query process's read model holds every write of `writers` once, settled, and each comments process lists every
   * post's comments as the read model does (in log order, with the same statuses); each process asked directly, so a failure names it.
   */
  async function expectSettled(writers: Writers): Promise<number> {
    const t0 = Date.now();
    const shown = (comments: Array<{ id: string; status: string }>) => JSON.stringify(comments.map((c) => [c.id, c.status]));
    let problems = ['not read yet'];
    while (problems.length > 0 && Date.now() - t0 < SETTLE_MS) {
      problems = [];
      let model: ReadModel | undefined;
      for (const i of [0, 1]) {
        const res = await getFrom('query', i, '/posts');
        if (res.status !== 200) problems.push(`query-${i}: GET /posts answered ${res.status}`);
        else {
          model = JSON.parse(res.body) as ReadModel;
          problems.push(...unsettled(model, [writers]).map((p) => `query-${i}: ${p}`));
        }
      }
      for (const i of model && problems.length === 0 ? [0, 1] : []) {
        const posts = Object.values(model!);
        let differ = 0;
        for (const post of posts) {
          const own = await getFrom('comments', i, `/posts/${post.id}/comments`);
          if (own.status !== 200 || shown(JSON.parse(own.body)) !== shown(post.comments)) differ++;
        }
        if (differ > 0) problems.push(`comments-${i} differs from the read model on ${differ} of ${posts.length} posts`);
      }
      if (problems.length > 0) await sleep(200);
    }
    expect(problems.slice(0, 10)).toEqual([]);
    return (Date.now() - t0) / 1000;
  }

  /**
   * The load, and writers adding posts and comments beside it until the last killed process is back; each of `kills` is SIGKILLed
   * once its share of the load was accepted, and restarted by the launcher. Then checks that nothing was lost, duplicated, left
   * pending or stored when refused, and that refusals stayed within 1 % of the writes.
   */
  async function underLoad(run: string, kills: Kill[]) {
    const writers = new Writers(base, run);
    const before = restartsNow();
    let accepted = 0;
    const restarts: Array<Promise<void>> = [];
    let writersDone: Promise<void> | undefined;
    writers.start(2);
    const result: LoadResult = await runLoad({
      url: base.origin,
      posts: POSTS,
      comments: COMMENTS,
      clients: CLIENTS,
      settleTimeoutMs: SETTLE_MS,
      // Two query processes behind the round robin: two reads in a row see both.
      settledReads: 2,
      onAccepted: (n) => {
        accepted = n;
        for (const kill of kills.filter((k) => k.at === n)) {
          const t0 = Date.now();
          const back = restart(sys, kill.name, 'SIGKILL', kill.replica).then(() => {
            kill.seconds = (Date.now() - t0) / 1000;
            kill.backAt = accepted;
          });
          back.catch(() => undefined); // awaited once the load is done
          restarts.push(back);
          // The writers stop once the last killed process is back, not to write on through the load's settling.
          if (restarts.length < kills.length) continue;
          writersDone = Promise.all(restarts).then(
            () => writers.stop(),
            async (err) => {
              await writers.stop();
              throw err;
            },
          );
          writersDone.catch(() => undefined); // awaited once the load is done
        }
      },
    });
    await (writersDone ?? writers.stop());

    const restarted = Object.fromEntries(workloads.map((w) => [w, sys.restarts(w) - before[w]]));
    process.stdout.write(
      `faults-jetstream ${run}: ${kills.map((k) => `${k.name}-${k.replica} SIGKILLed at ${k.at} accepted, back (all ready) ${k.seconds} s later, at ${k.backAt}`).join('; ')}; ` +
        `restarts ${JSON.stringify(restarted)}\n` +
        `  load: ${result.accepted} of ${COMMENTS} comments accepted from ${CLIENTS} clients, ${result.refused} refused ${JSON.stringify(result.refusedByCode)}, ` +
        `${result.unclearRetried} unclear and retried with their key ${JSON.stringify(result.unclearByCode)}, ${result.unresolved} unresolved; ` +
        `lost ${result.lost}, duplicated ${result.duplicated}, wrong status ${result.wrongStatus}, pending ${result.stillPending}, ` +
        `refused but stored ${result.refusedStored}, stray ${result.stray}; ${result.settledPerSecond} settled/s, writes ${result.writeSeconds} s, ` +
        `settled ${result.settleSeconds} s after the last write; latency p50 ${result.latencyMs.p50}, p99 ${result.latencyMs.p99}, max ${result.latencyMs.max} ms\n` +
        (result.lost || result.stillPending ? `  not settled in ${SETTLE_MS / 1000} s: ${await queryProcesses()}\n` : ''),
    );
    expect(result).toMatchObject({ unresolved: 0, lost: 0, duplicated: 0, wrongStatus: 0, stillPending: 0, refusedStored: 0, stray: 0 });
    expect(result.accepted + result.refused!).toBe(COMMENTS);

    const writersSettleSeconds = await expectSettled(writers);
    const refusedByCode: Record<string, number> = { ...result.refusedByCode };
    for (const r of writers.refused) refusedByCode[`${r.status} ${r.code}`] = (refusedByCode[`${r.status} ${r.code}`] ?? 0) + 1;
    const writes = COMMENTS + writers.accepted + writers.refused.length;
    const refused = result.refused! + writers.refused.length;
    process.stdout.write(
      `  writers beside it: ${writers.posts.size} posts and ${writers.comments.size} comments accepted, ${writers.refused.length} refused, ` +
        `${writers.unclear.length} unclear answers retried; all settled, the comments service agreeing, ${writersSettleSeconds} s after the load\n` +
        `  refused in all: ${refused} of ${writes} writes (${((100 * refused) / writes).toFixed(2)} %) ${JSON.stringify(refusedByCode)}\n`,
    );
    expect(writers.unexplained).toEqual([]);
    expect(refused).toBeLessThanOrEqual(writes / 100);
    // Only the killed processes were started again (none crashed on the way), each once.
    expect(restarted).toEqual(Object.fromEntries(workloads.map((w) => [w, kills.filter((k) => k.name === w).length])));
    for (const kill of kills) expect(sys.restarts(kill.name, kill.replica)).toBe(1);
  }

  it('loses nothing when one process of each backend in turn is SIGKILLed under 20,000 comments from 50 clients', async () => {
    // Each a few seconds after the one before, whether or not that one is back yet (a restart takes 5-10 s here, most of it the
    // 5 s readiness period): all four under the load, never both processes of one backend down at once.
    await underLoad('backends', [
      { name: 'posts', replica: 0, at: COMMENTS * 0.2 },
      { name: 'comments', replica: 1, at: COMMENTS * 0.35 },
      { name: 'query', replica: 0, at: COMMENTS * 0.5 },
      { name: 'moderation', replica: 1, at: COMMENTS * 0.65 },
    ]);
  }, 240_000);

  it('loses nothing when one of the three NATS nodes is SIGKILLed under 20,000 comments from 50 clients', async () => {
    const { replica, held } = await nodeToKill();
    process.stdout.write(`faults-jetstream nats-node: before the load, ${held}\n`);
    await underLoad('nats-node', [{ name: 'nats', replica, at: COMMENTS / 4 }]);
  }, 240_000);
});
