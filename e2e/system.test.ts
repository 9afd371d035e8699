// The system as `npm start` runs it, driven through the ingress (and a service's own port where a
// test needs one process): the happy path, a request id through every log, a stopped moderator,
// a rebuilt read model, a restarted bus, a SIGTERM with a request in flight. All of it on the
// hand-written bus, and again on NATS JetStream as `npm start -- --nats` runs it (three nodes, two
// processes of each backend).
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { ROOT, type ServiceName, type System } from '@posts/runtime';
import { everyService, logsBySource, readBus, restart, sleep, startTestSystem, transportsFor, until, type Comment, type ReadModel } from './support';

describe.each(transportsFor('the system test'))('the system as npm start runs it, on %s', (_transport, { nats }) => {
  // Restarts take seconds; the projects' config cannot set this.
  jest.setTimeout(60_000);
  let sys: System;
  const logs = logsBySource();
  const ingress = (p: string) => `http://127.0.0.1:${sys.ports.ingress}${p}`;
  /** The JSON log lines of a service that carry `requestId`. */
  const linesWith = (name: ServiceName, requestId: string) =>
    logs
      .of(name)
      .filter((line) => line.includes(requestId))
      .map((line) => JSON.parse(line));

  async function post(url: string, body: unknown) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { id: string; status?: string } };
  }
  const getJson = async <T>(address: string) => (await (await fetch(address)).json()) as T;

  const readModel = () => getJson<ReadModel>(ingress('/posts'));

  /** Waits until the read model holds `count` comments, none of them still "pending". */
  const settled = (count: number) =>
    until(
      'every comment to be moderated',
      async () => {
        const res = await fetch(ingress('/posts'));
        if (!res.ok) return undefined;
        const model = (await res.json()) as ReadModel;
        const comments = Object.values(model).flatMap((p) => p.comments);
        return comments.length === count && comments.every((c) => c.status !== 'pending') ? model : undefined;
      },
      30_000,
      50,
    );

  beforeAll(async () => {
    sys = await startTestSystem('system', {
      // Every line kept, at info: one test follows a request id through them.
      quiet: false,
      log: logs.log,
      env: everyService({ LOG_LEVEL: 'info' }),
      nats,
      backoff: { initialMs: 100, maxMs: 1000, resetAfterMs: 10_000 },
    });
  });

  afterAll(async () => {
    await sys?.stop();
  });

  let postId: string;

  /** The system goes on after a restart: a new comment is taken, moderated and read, the ninth. */
  async function aCommentAfterTheRestart(): Promise<void> {
    const later = await post(ingress(`/posts/${postId}/comments`), { content: 'after the restart' });
    expect(later.status).toBe(201);
    const model = await settled(9);
    expect(model[postId].comments.at(-1)).toEqual({ id: later.body.id, content: 'after the restart', status: 'approved' });
  }

  it('takes a post and two comments to the read model with their moderated statuses', async () => {
    const created = await post(ingress('/posts/create'), { title: 'Hello, posts.com' });
    expect(created.status).toBe(201);
    postId = created.body.id;

    const good = await post(ingress(`/posts/${postId}/comments`), { content: 'Great post!' });
    const bad = await post(ingress(`/posts/${postId}/comments`), { content: 'Orange!' });
    expect([good.status, bad.status]).toEqual([201, 201]);
    // The answer is the comment as it is then: pending, or already moderated when the verdict came back first (JetStream is that quick).
    expect(['pending', 'approved']).toContain(good.body.status);
    expect(['pending', 'rejected']).toContain(bad.body.status);

    const model = await settled(2);
    expect(model[postId]).toEqual({
      id: postId,
      title: 'Hello, posts.com',
      comments: [
        { id: good.body.id, content: 'Great post!', status: 'approved' },
        { id: bad.body.id, content: 'Orange!', status: 'rejected' },
      ],
    });
    const fromComments = await getJson<Comment[]>(ingress(`/posts/${postId}/comments`));
    expect(fromComments.map((c: Comment) => [c.id, c.status])).toEqual([
      [good.body.id, 'approved'],
      [bad.body.id, 'rejected'],
    ]);
  });

  it("follows one comment's request id through every service's JSON logs", async () => {
    const requestId = `trace-${Date.now()}`;
    const res = await fetch(ingress(`/posts/${postId}/comments`), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ content: 'follow me' }),
    });
    expect(res.headers.get('x-request-id')).toBe(requestId);
    await settled(3);
    await sleep(200); // the last log lines are written just after the answers
    expect(linesWith('comments', requestId).map((l) => l.msg)).toEqual(expect.arrayContaining(['request completed', 'published']));
    const published = (name: ServiceName) =>
      linesWith(name, requestId)
        .filter((l) => l.msg === 'published' && !l.duplicate)
        .map((l) => l.type);
    // Stored once each: a second replica's reaction to the same verdict is a duplicate the log drops.
    expect(published('comments').sort()).toEqual(['CommentCreated', 'CommentUpdated']);
    expect(published('moderation')).toEqual(['CommentModerated']);
  });

  it('refuses to start with a bad PORT or URL, naming the variable (exit 1)', async () => {
    for (const [variable, value] of [
      ['PORT', 'not-a-port'],
      ['PORT', '70000'],
      ['EVENT_BUS_URL', 'not a url'],
    ]) {
      const child = spawn(process.execPath, [path.join(ROOT, 'posts/dist/index.js')], {
        env: { ...process.env, [variable]: value },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(stderr).toContain(variable);
    }
  });

  it('settles every comment that was pending while moderation was down, once it is back', async () => {
    await sys.stopService('moderation');
    const contents = ['one', 'two ORANGE', 'three', 'four orange.', 'five'];
    for (const content of contents) {
      expect((await post(ingress(`/posts/${postId}/comments`), { content })).status).toBe(201);
    }
    await sleep(300);
    const whileDown = (await readModel())[postId].comments.slice(3);
    expect(whileDown.map((c) => c.status)).toEqual(['pending', 'pending', 'pending', 'pending', 'pending']);

    sys.startService('moderation');
    await sys.waitReady();
    const model = await settled(8);
    expect(model[postId].comments.slice(3).map((c) => [c.content, c.status])).toEqual([
      ['one', 'approved'],
      ['two ORANGE', 'rejected'],
      ['three', 'approved'],
      ['four orange.', 'rejected'],
      ['five', 'approved'],
    ]);
  });

  it('rebuilds the same read model when query restarts', async () => {
    const before = await readModel();
    await restart(sys, 'query');
    expect(await readModel()).toEqual(before);
  });

  if (!nats)
    it('keeps the log and the read model when the bus restarts with its log file', async () => {
      const before = await readModel();
      const eventsBefore = await readBus(sys, '/events');
      await restart(sys, 'event-bus');
      expect(await readBus(sys, '/events')).toEqual(eventsBefore);

      await restart(sys, 'query');
      expect(await readModel()).toEqual(before);

      // And the system goes on: the log continues after the restart.
      await aCommentAfterTheRestart();
      const events = await readBus<Array<{ seq: number }>>(sys, '/events');
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    });

  if (nats)
    it('keeps the read model through a rolling restart of the three NATS nodes, and goes on after it', async () => {
      const before = await readModel();
      // As `kubectl rollout restart statefulset nats` does: one node at a time, each back before the next.
      for (const node of [0, 1, 2]) await restart(sys, 'nats', 'SIGTERM', node);
      await restart(sys, 'query');
      expect(await readModel()).toEqual(before);
      await aCommentAfterTheRestart();
    });

  it('stops cleanly on SIGTERM (exit 0) when a request is in flight on a connection its client keeps open', async () => {
    // Like the ingress: a kept-alive connection, a request under way when SIGTERM comes, then quiet.
    const body = JSON.stringify({ title: 'Written across a SIGTERM' });
    const socket = net.connect(sys.ports.posts, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`POST /posts/create HTTP/1.1\r\nHost: posts.com\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    socket.write(body.slice(0, 10));
    await sleep(100);

    // The launcher says how a service exited, among that service's lines.
    const exits = () => logs.of('posts').filter((line) => /^restarting posts(-0)? /.test(line));
    const exitsBefore = exits().length;
    sys.kill('posts', 'SIGTERM', 0);
    await sleep(100);
    const answer = new Promise<string>((resolve) => socket.once('data', (d) => resolve(d.toString())));
    socket.write(body.slice(10));
    expect(await answer).toMatch(/^HTTP\/1.1 201/); // what it held, it finished
    // Not 1, the forced exit while the idle connection held it open.
    expect(await until('posts to exit', () => exits()[exitsBefore])).toMatch(/\(exit code 0\)$/);
    socket.destroy();
    await sys.waitReady();
  });
});
