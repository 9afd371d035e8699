// The forgery suite: an attacker with a shell beside the services (in the cluster network, or a
// process beside `npm start`) sends what the bus and its clients send, without the bus secret. As
// `npm start` runs the system (with a secret) every forgery is answered 401 and leaves the log,
// the read model and every process exactly as they were; and even a correctly signed delivery
// cannot carry a subscriber past the head of the log it names (409). In open mode (no secret,
// as the course's bus) the same forgeries are taken.
import { SERVICE_NAMES, type ServiceName, type System } from '@posts/runtime';
import { busSecretOf, readBus, settle, signedHeaders, sleep, startTestSystem, until, type ReadModel } from './support';

const BACKENDS = ['posts', 'comments', 'query', 'moderation'] as const;

interface Answer {
  status: number;
  // The answers' shapes are what the assertions check.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

async function send(url: string, method: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, { method, body, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const unauthorized = { status: 401, body: { error: { code: 'unauthorized', message: expect.any(String) } } };

/** An event as the bus delivers it. */
const envelope = (seq: number, type: string, data: unknown) => ({ id: `forged-${seq}`, seq, type, data, at: new Date().toISOString() });
const forgedPost = (seq: number, title = 'a forged post') => envelope(seq, 'PostCreated', { id: `forged-post-${seq}`, title });

/** What every suite here does to a system: write through the ingress, forge beside it, look at what changed. */
function attacker(sys: () => System) {
  const bus = (urlPath: string) => `http://127.0.0.1:${sys().ports['event-bus']}${urlPath}`;
  const service = (name: ServiceName) => `http://127.0.0.1:${sys().ports[name]}/events`;
  const ingress = (urlPath: string, body?: unknown) =>
    send(`${sys().url}${urlPath}`, body === undefined ? 'GET' : 'POST', body === undefined ? undefined : JSON.stringify(body));

  return {
    publish: (body: string, headers?: Record<string, string>) => send(bus('/events'), 'POST', body, headers),
    read: (urlPath: string, headers?: Record<string, string>) => send(bus(urlPath), 'GET', undefined, headers),
    deliver: (name: ServiceName, body: string, headers?: Record<string, string>) => send(service(name), 'POST', body, headers),
    readModel: async (): Promise<ReadModel> => (await ingress('/posts')).body,
    /** The log's id and head, as the bus puts them on a delivery. */
    position: async () => {
      const log = await readBus<Array<{ id: string }>>(sys(), '/events');
      return { logId: log[0].id, head: log.length };
    },
    createPost: async (title: string): Promise<string> => {
      const answer = await ingress('/posts/create', { title });
      expect(answer.status).toBe(201);
      return answer.body.id;
    },
    addComment: async (postId: string, content: string): Promise<Answer> => ingress(`/posts/${postId}/comments`, { content }),
    /** Until `check` holds of the read model; the model either way, for the assertion to show. */
    settledModel: (check: (model: ReadModel) => boolean) => settle(async () => (await ingress('/posts')).body as ReadModel, check),
  };
}

describe('forgeries against the system as npm start runs it (with a bus secret)', () => {
  let sys: System;
  let secret: string;
  const a = attacker(() => sys);
  let postId: string;
  let commentId: string;

  /** The log, the read model and the processes: what no forgery may change. */
  const snapshot = async () => ({
    log: await readBus(sys, '/events'),
    model: await a.readModel(),
    pids: SERVICE_NAMES.map((s) => sys.pid(s)),
    restarts: SERVICE_NAMES.map((s) => sys.restarts(s)),
  });
  const settled = () => readBus<Array<{ cursor: number }>>(sys, '/subscriptions');

  beforeAll(async () => {
    sys = await startTestSystem('forgery');
    secret = busSecretOf(sys);
    postId = await a.createPost('A post');
    const comment = await a.addComment(postId, 'I like orange');
    commentId = comment.body.id;
    const model = await a.settledModel((m) => m[postId]?.comments[0]?.status === 'rejected');
    expect(model[postId].comments).toEqual([{ id: commentId, content: 'I like orange', status: 'rejected' }]);
  });
  afterAll(() => sys?.stop());

  /** Runs `forge`, then checks that nothing it could have reached moved, nor any process died. */
  async function expectNothingChangedBy(forge: () => Promise<void>) {
    const { head } = await a.position();
    await settle(settled, (subs) => subs.every((s) => s.cursor === head));
    const before = await snapshot();
    await forge();
    await sleep(300); // room for a delivery, or an exit, that should not happen
    expect(await snapshot()).toEqual(before);
  }

  it('refuses reads of the log and of the subscriptions without the secret', async () => {
    for (const urlPath of ['/events', '/events?after=0&limit=10', '/subscriptions']) {
      expect([urlPath, await a.read(urlPath)]).toEqual([urlPath, unauthorized]);
      expect([urlPath, await a.read(urlPath, signedHeaders('f'.repeat(64), 'GET', urlPath))]).toEqual([urlPath, unauthorized]);
    }
  });

  it('refuses a forged CommentUpdated: the rejected comment stays rejected, with its text, and the log never holds it', async () => {
    const forged = JSON.stringify({ type: 'CommentUpdated', data: { id: commentId, postId, content: 'forged text', status: 'approved' } });
    await expectNothingChangedBy(async () => {
      expect(await a.publish(forged)).toEqual(unauthorized);
      expect(await a.publish(forged, signedHeaders('f'.repeat(64), 'POST', '/events', forged))).toEqual(unauthorized);
    });
  });

  it('refuses a forged PostCreated with a 900 KB title before reading it', async () => {
    const forged = JSON.stringify({ type: 'PostCreated', data: { id: 'forged-post', title: 'x'.repeat(900_000) } });
    await expectNothingChangedBy(async () => {
      expect(await a.publish(forged)).toEqual(unauthorized);
    });
  });

  it('refuses a forged delivery to query at the next seq, with the bus’s headers; the next real post is shown', async () => {
    const { logId, head } = await a.position();
    const headers = { 'x-log-id': logId, 'x-log-head': String(head + 1) };
    await expectNothingChangedBy(async () => {
      for (const forged of [forgedPost(head + 1), forgedPost(head + 1, 'x'.repeat(900_000))]) {
        expect(await a.deliver('query', JSON.stringify(forged), headers)).toEqual(unauthorized);
        expect(
          await a.deliver('query', JSON.stringify(forged), signedHeaders('f'.repeat(64), 'POST', '/events', JSON.stringify(forged), { logId, head: head + 1 })),
        ).toEqual(unauthorized);
      }
    });
    const real = await a.createPost('The next real post');
    expect((await a.settledModel((m) => m[real] !== undefined))[real]).toEqual({ id: real, title: 'The next real post', comments: [] });
  });

  it('refuses a forged array of 1,000 events at query and comments; new posts are shown and take comments', async () => {
    const { logId, head } = await a.position();
    const forged = JSON.stringify(Array.from({ length: 1000 }, (_, i) => forgedPost(head + 1 + i)));
    await expectNothingChangedBy(async () => {
      for (const name of ['query', 'comments'] as const) {
        expect([name, await a.deliver(name, forged, { 'x-log-id': logId, 'x-log-head': String(head + 1000) })]).toEqual([name, unauthorized]);
      }
    });
    const real = await a.createPost('Still taking comments');
    const comment = await a.addComment(real, 'Still here');
    expect(comment.status).toBe(201);
    const model = await a.settledModel((m) => m[real]?.comments[0]?.status === 'approved');
    expect(model[real]).toEqual({ id: real, title: 'Still taking comments', comments: [{ id: comment.body.id, content: 'Still here', status: 'approved' }] });
    expect(await readBus<unknown[]>(sys, `/events?after=${head}`)).toHaveLength(4); // the post, the comment, its verdict and its update
  });

  it('refuses a forged x-log-id at query and moderation, which go on running', async () => {
    const { head } = await a.position();
    const seen = JSON.stringify(envelope(1, 'PostCreated', { id: 'x', title: 'x' }));
    await expectNothingChangedBy(async () => {
      for (const name of ['query', 'moderation'] as const) {
        expect([name, await a.deliver(name, seen, { 'x-log-id': 'another-log', 'x-log-head': String(head) })]).toEqual([name, unauthorized]);
      }
    });
  });

  it('answers 409 to a correctly signed delivery past the head it carries, at every backend, applying none of it', async () => {
    const { logId, head } = await a.position();
    await expectNothingChangedBy(async () => {
      for (const name of BACKENDS) {
        for (const forged of [
          [forgedPost(head + 1)],
          [forgedPost(head), forgedPost(head + 1)],
          Array.from({ length: 1000 }, (_, i) => forgedPost(head + 1 + i)),
        ]) {
          const body = JSON.stringify(forged);
          const answer = await a.deliver(name, body, signedHeaders(secret, 'POST', '/events', body, { logId, head }));
          expect([name, answer]).toEqual([name, { status: 409, body: { error: { code: 'seq_ahead_of_log', message: expect.any(String) } } }]);
        }
        expect([name, await a.deliver(name, '[]', signedHeaders(secret, 'POST', '/events', '[]', { logId, head }))]).toEqual([
          name,
          { status: 200, body: { ack: head } },
        ]);
      }
    });
  });

  it('every subscriber is where the bus left it, with no error', async () => {
    const { head } = await a.position();
    const subs = await settle(
      () => readBus<Array<{ cursor: number; lastError: string | null }>>(sys, '/subscriptions'),
      (s) => s.every((x) => x.cursor === head),
    );
    expect(subs.map((s) => [s.cursor, s.lastError])).toEqual(BACKENDS.map(() => [head, null]));
    expect(SERVICE_NAMES.map((s) => sys.restarts(s))).toEqual(SERVICE_NAMES.map(() => 0));
  });
});

describe('the same forgeries against a system in open mode (no BUS_SECRET, as the course’s bus)', () => {
  let sys: System;
  const a = attacker(() => sys);
  let postId: string;
  let commentId: string;

  beforeAll(async () => {
    sys = await startTestSystem('forgery-open', { openBus: true });
    postId = await a.createPost('A post');
    commentId = (await a.addComment(postId, 'I like orange')).body.id;
    await a.settledModel((m) => m[postId]?.comments[0]?.status === 'rejected');
  });
  afterAll(() => sys?.stop());

  it('the bus says at start that it runs open', () => {
    expect(sys.logs().filter((line) => line.startsWith('[event-bus]') && line.includes('open mode: BUS_SECRET is not set'))).toHaveLength(1);
  });

  it('takes unsigned reads, and a forged CommentUpdated: the rejected comment shows approved, with the forged text', async () => {
    expect((await a.read('/events')).status).toBe(200);
    expect((await a.read('/subscriptions')).status).toBe(200);
    const forged = JSON.stringify({ type: 'CommentUpdated', data: { id: commentId, postId, content: 'forged text', status: 'approved' } });
    expect((await a.publish(forged)).status).toBe(201);
    const model = await a.settledModel((m) => m[postId]?.comments[0]?.status === 'approved');
    expect(model[postId].comments).toEqual([{ id: commentId, content: 'forged text', status: 'approved' }]);
  });

  it('takes forged deliveries at the next seq, with and without the bus’s headers: query shows the posts, a 900 KB title too', async () => {
    const { logId, head } = await a.position();
    await settle(
      () => a.deliver('query', '[]'),
      (answer) => answer.body?.ack === head,
    );
    expect(await a.deliver('query', JSON.stringify(forgedPost(head + 1)), { 'x-log-id': logId, 'x-log-head': String(head + 1) })).toEqual({
      status: 200,
      body: { ack: head + 1 },
    });
    expect(await a.deliver('query', JSON.stringify(forgedPost(head + 2, 'x'.repeat(900_000))))).toEqual({ status: 200, body: { ack: head + 2 } });
    const model = await a.readModel();
    expect([model[`forged-post-${head + 1}`]?.title, model[`forged-post-${head + 2}`]?.title.length]).toEqual(['a forged post', 900_000]);
    // The bus's own cap on an event, not the secret, keeps this one out of the log.
    const big = JSON.stringify({ type: 'PostCreated', data: { id: 'big', title: 'x'.repeat(900_000) } });
    expect((await a.publish(big)).body.error.code).toBe('event_too_large');
  });

  it('takes a forged array of 1,000 events at comments, which then answers 404 to comments on the next new post', async () => {
    const { head } = await a.position();
    await settle(
      () => a.deliver('comments', '[]'),
      (answer) => answer.body?.ack === head,
    );
    const forged = JSON.stringify(Array.from({ length: 1000 }, (_, i) => forgedPost(head + 1 + i)));
    expect(await a.deliver('comments', forged)).toEqual({ status: 200, body: { ack: head + 1000 } });
    const real = await a.createPost('Blinded comments');
    expect((await a.addComment(real, 'Anyone?')).status).toBe(404);
  });

  it('takes a forged x-log-id: moderation exits, to be restarted by the launcher', async () => {
    const { head } = await a.position();
    await a
      .deliver('moderation', JSON.stringify(envelope(1, 'PostCreated', { id: 'x', title: 'x' })), { 'x-log-id': 'another-log', 'x-log-head': String(head) })
      .catch(() => undefined);
    await until('moderation restarted', () => sys.restarts('moderation') > 0, 20_000);
  });
});
