// The five backend services as real processes on free loopback ports, driven only through
// their HTTP APIs: the happy path, a killed moderator, a rebuilt read model, a restarted bus.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
type Name = 'event-bus' | 'posts' | 'comments' | 'query' | 'moderation';
const names: Name[] = ['event-bus', 'posts', 'comments', 'query', 'moderation'];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface Comment {
  id: string;
  content: string;
  status: string;
}
type ReadModel = Record<string, { id: string; title: string; comments: Comment[] }>;

describe('the five services as real processes', () => {
  const ports = {} as Record<Name, number>;
  const processes = new Map<Name, ChildProcess>();
  const logPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'posts-system-')), 'events.ndjson');
  const url = (name: Name, p = '') => `http://127.0.0.1:${ports[name]}${p}`;
  const logs = Object.fromEntries(names.map((n) => [n, ''])) as Record<Name, string>;
  /** The JSON log lines of a service that carry `requestId`. */
  const linesWith = (name: Name, requestId: string) =>
    logs[name]
      .split('\n')
      .filter((line) => line.includes(requestId))
      .map((line) => JSON.parse(line));

  function start(name: Name) {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(ports[name]),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      EVENT_BUS_URL: url('event-bus'),
      SUBSCRIBERS: (['posts', 'comments', 'query', 'moderation'] as Name[]).map((n) => url(n, '/events')).join(','),
      EVENT_LOG_PATH: logPath,
    };
    const child = spawn(process.execPath, [path.join(root, name, 'dist/index.js')], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (logs[name] += chunk));
    processes.set(name, child);
    return until(`${name} to be ready`, async () => ((await fetch(url(name, '/readyz'))).ok ? true : undefined));
  }

  async function kill(name: Name, signal: NodeJS.Signals = 'SIGKILL') {
    const child = processes.get(name)!;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
    processes.delete(name);
  }

  async function post(url: string, body: unknown) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { id: string; status?: string } };
  }
  const getJson = async <T>(address: string) => (await (await fetch(address)).json()) as T;

  const readModel = () => getJson<ReadModel>(url('query', '/posts'));

  /** Waits until every comment in the read model has left "pending". */
  const settled = (count: number) =>
    until('every comment to be moderated', async () => {
      const model = await readModel();
      const comments = Object.values(model).flatMap((p) => p.comments);
      return comments.length === count && comments.every((c) => c.status !== 'pending') ? model : undefined;
    });

  beforeAll(async () => {
    for (const name of names) ports[name] = await freePort();
    for (const name of names) await start(name);
  });

  afterAll(async () => {
    await Promise.all([...processes.keys()].map((name) => kill(name)));
  });

  let postId: string;

  it('takes a post and two comments to the read model with their moderated statuses', async () => {
    const created = await post(url('posts', '/posts/create'), { title: 'Hello, posts.com' });
    expect(created.status).toBe(201);
    postId = created.body.id;

    const good = await post(url('comments', `/posts/${postId}/comments`), { content: 'Great post!' });
    const bad = await post(url('comments', `/posts/${postId}/comments`), { content: 'Orange!' });
    expect([good.status, good.body.status, bad.status, bad.body.status]).toEqual([201, 'pending', 201, 'pending']);

    const model = await settled(2);
    expect(model[postId]).toEqual({
      id: postId,
      title: 'Hello, posts.com',
      comments: [
        { id: good.body.id, content: 'Great post!', status: 'approved' },
        { id: bad.body.id, content: 'Orange!', status: 'rejected' },
      ],
    });
    const fromComments = await getJson<Comment[]>(url('comments', `/posts/${postId}/comments`));
    expect(fromComments.map((c: Comment) => [c.id, c.status])).toEqual([
      [good.body.id, 'approved'],
      [bad.body.id, 'rejected'],
    ]);
  });

  it("follows one comment's request id through every service's JSON logs", async () => {
    const requestId = `trace-${Date.now()}`;
    const res = await fetch(url('comments', `/posts/${postId}/comments`), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': requestId },
      body: JSON.stringify({ content: 'follow me' }),
    });
    expect(res.headers.get('x-request-id')).toBe(requestId);
    await settled(3);
    await sleep(200); // the last log lines are written just after the answers
    expect(linesWith('comments', requestId).map((l) => l.msg)).toEqual(expect.arrayContaining(['request completed', 'published']));
    const published = (name: Name) => linesWith(name, requestId).filter((l) => l.msg === 'published').map((l) => l.type);
    expect(published('comments').sort()).toEqual(['CommentCreated', 'CommentUpdated']);
    expect(published('moderation')).toEqual(['CommentModerated']);
  });

  it('refuses to start with a bad PORT or URL, naming the variable (exit 1)', async () => {
    for (const [variable, value] of [['PORT', 'not-a-port'], ['PORT', '70000'], ['EVENT_BUS_URL', 'not a url']]) {
      const child = spawn(process.execPath, [path.join(root, 'posts/dist/index.js')], { env: { ...process.env, [variable]: value }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      expect(code).toBe(1);
      expect(stderr).toContain(variable);
    }
  });

  it('settles every comment that was pending when moderation was killed, once it is back', async () => {
    await kill('moderation');
    const contents = ['one', 'two ORANGE', 'three', 'four orange.', 'five'];
    for (const content of contents) {
      expect((await post(url('comments', `/posts/${postId}/comments`), { content })).status).toBe(201);
    }
    await sleep(300);
    const whileDown = (await readModel())[postId].comments.slice(3);
    expect(whileDown.map((c) => c.status)).toEqual(['pending', 'pending', 'pending', 'pending', 'pending']);

    await start('moderation');
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
    await kill('query');
    await start('query');
    expect(await readModel()).toEqual(before);
  });

  it('keeps the log and the read model when the bus restarts with EVENT_LOG_PATH', async () => {
    const before = await readModel();
    const eventsBefore = await (await fetch(url('event-bus', '/events'))).json();
    await kill('event-bus');
    await start('event-bus');
    expect(await (await fetch(url('event-bus', '/events'))).json()).toEqual(eventsBefore);

    await kill('query');
    await start('query');
    expect(await readModel()).toEqual(before);

    // And the system goes on: the log continues after the restart.
    const later = await post(url('comments', `/posts/${postId}/comments`), { content: 'after the restart' });
    expect(later.status).toBe(201);
    const model = await settled(9);
    expect(model[postId].comments.at(-1)).toEqual({ id: later.body.id, content: 'after the restart', status: 'approved' });
    const events = await getJson<Array<{ seq: number }>>(url('event-bus', '/events'));
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  });

  it('stops cleanly on SIGTERM (exit 0) when a request is in flight on a connection its client keeps open', async () => {
    // Like the ingress: a kept-alive connection, a request under way when SIGTERM comes, then quiet.
    const body = JSON.stringify({ title: 'Written across a SIGTERM' });
    const socket = net.connect(ports.posts, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`POST /posts/create HTTP/1.1\r\nHost: posts.com\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    socket.write(body.slice(0, 10));
    await sleep(100);

    const child = processes.get('posts')!;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    await sleep(100);
    const answer = new Promise<string>((resolve) => socket.once('data', (d) => resolve(d.toString())));
    socket.write(body.slice(10));
    expect(await answer).toMatch(/^HTTP\/1.1 201/); // what it held, it finished
    expect(await exited).toBe(0); // not 1, the forced exit while the idle connection held it open
    processes.delete('posts');
    socket.destroy();
  });
});
