// The system on NATS JetStream as `npm start -- --nats` runs it (infra/k8s-nats: three nats-server nodes, two
// processes of each backend, no event bus), driven through the ingress: the happy path, the console, then one replica of
// comments SIGKILLed under writes, after which every accepted write is there exactly once. A NATS node, and a
// process of each backend, SIGKILLed under 20,000 comments: faults-jetstream.test.ts (npm run test:faults).
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { request, type System } from '@posts/runtime';
import { restart, sleep, startTestSystem, unsettled, until, whyNoJetStream, Writers, type ReadModel } from './support';

const missing = whyNoJetStream();
if (missing) console.warn(`the JetStream suite is skipped: ${missing}`);
const describeOnJetStream = missing ? describe.skip : describe;

describeOnJetStream('posts.com on NATS JetStream (npm start -- --nats)', () => {
  let sys: System;
  let base: URL;
  const agent = new http.Agent({ keepAlive: true });
  const readModel = async (): Promise<ReadModel | undefined> => {
    const res = await request(agent, base, 'GET', '/posts');
    return res.status === 200 ? (JSON.parse(res.body) as ReadModel) : undefined;
  };

  /** A write through the ingress, retried with its Idempotency-Key until it is answered 201. */
  async function write(urlPath: string, body: object): Promise<{ id: string }> {
    const key = randomUUID();
    return until(`201 from POST ${urlPath}`, async () => {
      const res = await fetch(`${base.origin}${urlPath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body),
      }).catch(() => undefined);
      return res?.status === 201 ? ((await res.json()) as { id: string }) : undefined;
    });
  }

  /** Waits until the read model holds every accepted write exactly once, settled, and the comments service agrees with it. */
  async function expectSettled(writers: Writers[], timeoutMs: number) {
    let problems: string[] = ['no read model yet'];
    const deadline = Date.now() + timeoutMs;
    while (problems.length > 0 && Date.now() < deadline) {
      const model = await readModel();
      problems = model ? unsettled(model, writers) : ['GET /posts did not answer 200'];
      if (model && problems.length === 0) {
        // Both comments processes, in turn through the ingress, list each post's comments as the read model does, in log order.
        const listed = (comments: Array<{ id: string; status: string }>) => JSON.stringify(comments.map((c) => [c.id, c.status]));
        for (const post of Object.values(model).slice(0, 5)) {
          for (let i = 0; i < 2; i++) {
            const own = await request(agent, base, 'GET', `/posts/${post.id}/comments`);
            if (own.status !== 200 || listed(JSON.parse(own.body)) !== listed(post.comments)) problems.push(`comments of ${post.id} differ`);
          }
        }
      }
      if (problems.length > 0) await sleep(200);
    }
    expect(problems.slice(0, 10)).toEqual([]);
  }

  beforeAll(async () => {
    sys = await startTestSystem('jetstream', { nats: true, backoff: { initialMs: 200, maxMs: 2000, resetAfterMs: 5000 } });
    base = new URL(`http://localhost:${sys.ports.ingress}`);
  }, 120_000);

  afterAll(async () => {
    agent.destroy();
    await sys?.stop();
  });

  it('takes a post, an approved and an "orange" comment to GET /posts through the ingress; the log is one stream on all three nodes', async () => {
    const post = await write('/posts/create', { title: 'on JetStream' });
    const nice = await write(`/posts/${post.id}/comments`, { content: 'nice' });
    const orange = await write(`/posts/${post.id}/comments`, { content: 'an Orange one' });
    const model = await until('both comments moderated', async () => {
      const comments = (await readModel())?.[post.id]?.comments;
      return comments?.length === 2 && comments.every((c) => c.status !== 'pending') ? comments : undefined;
    });
    expect(model).toEqual([
      { id: nice.id, content: 'nice', status: 'approved' },
      { id: orange.id, content: 'an Orange one', status: 'rejected' },
    ]);

    expect(() => sys.pods('event-bus')).toThrow();
    for (const backend of ['posts', 'comments', 'query', 'moderation'] as const) expect(sys.pods(backend)).toHaveLength(2);
    const monitor = sys.pods('nats')[0].ports[8222];
    const jsz = (await (await fetch(`http://127.0.0.1:${monitor}/jsz?accounts=true&streams=true&config=true`)).json()) as {
      account_details: Array<{ stream_detail: Array<{ name: string; config: { num_replicas: number } }> }>;
    };
    const streams = jsz.account_details.flatMap((a) => a.stream_detail);
    expect(streams.map((s) => [s.name, s.config.num_replicas])).toEqual([['EVENTS', 3]]);
  });

  it("shows the newest events and each process's consumer in the console, through the ingress (its server logs in to NATS as client)", async () => {
    const getJson = async <T>(urlPath: string): Promise<T | undefined> => {
      const res = await request(agent, base, 'GET', urlPath);
      return res.status === 200 ? (JSON.parse(res.body) as T) : undefined;
    };
    const post = await write('/posts/create', { title: 'watched' });
    const comment = await write(`/posts/${post.id}/comments`, { content: 'seen' });

    type Logged = { seq: number; type: string; source?: string; subject?: string };
    const events = await until('the comment updated in the console', async () => {
      const page = await getJson<{ events: Logged[] }>('/console/api/events?limit=10');
      return page?.events.some((e) => e.subject === comment.id && e.type === 'CommentUpdated') ? page.events : undefined;
    });
    // Newest first; who published each comes with it.
    expect(events.map((e) => e.seq)).toEqual(events.map((e) => e.seq).sort((a, b) => b - a));
    expect(events.filter((e) => e.subject === post.id || e.subject === comment.id).map((e) => [e.type, e.source])).toEqual([
      ['CommentUpdated', 'comments'],
      ['CommentModerated', 'moderation'],
      ['CommentCreated', 'comments'],
      ['PostCreated', 'posts'],
    ]);

    type Subscriber = { name: string; cursor: number; lag: number; state: string };
    const subscribers = await until('every consumer caught up in the console', async () => {
      const list = (await getJson<{ subscribers: Subscriber[] | null }>('/console/api/subscribers'))?.subscribers;
      return list && list.length === 8 && list.every((s) => s.lag === 0) ? list : undefined;
    });
    // One row per process, named by its service; the consumers that read a page are left out.
    expect(subscribers.map((s) => s.name)).toEqual(['comments', 'comments', 'moderation', 'moderation', 'posts', 'posts', 'query', 'query']);
    for (const s of subscribers) expect(s).toMatchObject({ cursor: events[0].seq, state: 'caught up' });
  }, 30_000);

  const all: Writers[] = [];

  /** Writes, kills one process with SIGKILL (the launcher starts it again), writes on, then checks that nothing was lost or stored twice. */
  async function underWrites(run: string, kill: () => Promise<void>) {
    const writers = new Writers(base, run);
    all.push(writers);
    writers.start();
    while (writers.accepted < 100) await sleep(20);
    await kill();
    const before = writers.accepted;
    while (writers.accepted < before + 100) await sleep(20);
    await writers.stop();
    expect(writers.unexplained).toEqual([]);
    await expectSettled(all, 60_000);
    return writers;
  }

  it('loses and duplicates nothing when one of the two comments processes is SIGKILLed under writes', async () => {
    const other = sys.pid('comments', 1);
    const writers = await underWrites('comments-0', () => restart(sys, 'comments', 'SIGKILL', 0));
    expect([sys.restarts('comments', 0), sys.restarts('comments', 1), sys.pid('comments', 1)]).toEqual([1, 0, other]);
    // The other process kept taking comments: none was refused for want of one.
    expect(writers.refused).toEqual([]);
  }, 120_000);
});
