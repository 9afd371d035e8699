// The bad input suite: every public and internal endpoint of the running system fed what it
// must refuse (malformed JSON, wrong types, missing and extra fields, empty and huge text,
// control and bidirectional formatting characters, bodies over the limit, events from the
// future, unknown ids and event types) and what it must take as it is (HTML, script and
// unicode text). Each refusal is the right 4xx with a JSON error; after each group no process
// died or restarted, and the event log and the read model hold exactly what the accepted
// requests made.
import http from 'node:http';
import { SERVICE_NAMES, type ServiceName, type System } from '@posts/runtime';
import { REFUSED_IN_ANY_TEXT, REFUSED_IN_ONE_LINE } from '@posts/kit/testing';
import { settle, startTestSystem, type Comment, type ReadModel } from './support';

// The services the bus delivers to (its subscribers): each takes events on POST /events.
const BACKENDS = ['posts', 'comments', 'query', 'moderation'] as const;
type Backend = (typeof BACKENDS)[number];

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

interface Send {
  body?: string | Buffer;
  headers?: http.OutgoingHttpHeaders;
  /** Send the body chunked (no Content-Length), as a streaming client would. */
  chunked?: boolean;
}

/** One request on a fresh connection; a hang fails the test instead of stalling it. */
function send(port: number, method: string, urlPath: string, { body, headers = {}, chunked = false }: Send = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        agent: false,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(body !== undefined && !chunked ? { 'content-length': Buffer.byteLength(body) } : {}),
          ...(chunked ? { 'transfer-encoding': 'chunked' } : {}),
          ...headers,
        },
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(20_000, () => req.destroy(new Error(`no answer to ${method} ${urlPath} within 20 s`)));
    // A server that answers 413 before reading a big body may close while we still write it:
    // that is its right, and the answer already arrived.
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    if (body !== undefined && chunked) {
      const buf = Buffer.from(body);
      for (let i = 0; i < buf.length; i += 64 * 1024) req.write(buf.subarray(i, i + 64 * 1024));
      req.end();
    } else {
      req.end(body);
    }
  });
}

// The answers' shapes are what the assertions check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function parse(answer: Answer): any {
  try {
    return JSON.parse(answer.text);
  } catch {
    throw new Error(`not JSON (HTTP ${answer.status}, ${answer.contentType}): ${answer.text.slice(0, 300)}`);
  }
}

/** The error shape every service and the ingress answer: JSON `{error: {code, message}}`. */
function expectError(answer: Answer, status: number, code: string) {
  const body = parse(answer);
  expect({ status: answer.status, code: body?.error?.code }).toEqual({ status, code });
  expect(answer.contentType).toMatch(/^application\/json/);
  expect(body).toEqual({ error: { code, message: expect.any(String) } });
}

interface BusEvent {
  id: string;
  seq: number;
  type: string;
  data: unknown;
}
interface Subscription {
  url: string;
  cursor: number;
  backlog: number;
  lastError: string | null;
}

const json = (value: unknown) => JSON.stringify(value);
/** Nested arrays `depth` deep: JSON.parse takes any depth, JSON.stringify does not. */
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const LONE_SURROGATE = '"\\ud800 alone"';

/** Bodies that are not a JSON object, to an endpoint taking `{ [field]: text }`: each answered 400 malformed_json. */
const notJsonFor = (field: string): Array<[string, string]> => [
  ['cut-off JSON', `{"${field}": "x"`],
  ['JavaScript, not JSON', `{${field}: 'x'}`],
  ['a trailing comma', `{"${field}": "x",}`],
  ['plain words', 'hello'],
  ['a bare string', '"some text"'],
  ['null', 'null'],
  ['a number', '42'],
  ['NaN', `{"${field}": NaN}`],
];

/** JSON an endpoint taking `{ [field]: text }` of at most `max` characters refuses: each answered 400 invalid_request. */
const invalidFor = (field: string, max: number): Array<[string, string]> => [
  ['an empty body', ''],
  ['an empty object', '{}'],
  ['an array', `[${json({ [field]: 'x' })}]`],
  [`a null ${field}`, json({ [field]: null })],
  [`a number ${field}`, json({ [field]: 42 })],
  [`a boolean ${field}`, json({ [field]: true })],
  [`an array ${field}`, json({ [field]: ['x'] })],
  [`an object ${field}`, json({ [field]: { text: 'x' } })],
  [`a deeply nested ${field}`, `{"${field}": ${nested(20_000)}}`],
  [`an empty ${field}`, json({ [field]: '' })],
  [`a blank ${field}`, json({ [field]: ' \t\n\u00a0\u3000 ' })],
  [`a ${field} of ${max + 1} characters`, json({ [field]: 'x'.repeat(max + 1) })],
  [`a ${field} of ${max + 1} emoji (${2 * (max + 1)} UTF-16 units)`, json({ [field]: '🎉'.repeat(max + 1) })],
  [`a huge ${field} under the body limit`, json({ [field]: 'x'.repeat(60_000) })],
  [`a ${field} holding a lone surrogate`, `{"${field}": ${LONE_SURROGATE}}`],
];

describe('bad input: every endpoint refuses it with a JSON 4xx, nothing dies, nothing is stored', () => {
  let sys: System;
  const pids = new Map<ServiceName, number | undefined>();

  /** What the accepted requests made: event ids in the log, and the read model. */
  const expectedEventIds = new Set<string>();
  const expectedModel: ReadModel = {};

  const ingress = (method: string, urlPath: string, options: Send = {}) =>
    send(sys.ports.ingress, method, urlPath, { ...options, headers: { host: 'posts.com', ...options.headers } });
  const direct = (service: ServiceName, method: string, urlPath: string, options?: Send) => send(sys.ports[service], method, urlPath, options);

  const busLog = async (): Promise<BusEvent[]> => parse(await direct('event-bus', 'GET', '/events'));
  const subscriptions = async (): Promise<Subscription[]> => parse(await direct('event-bus', 'GET', '/subscriptions'));
  const readModel = async (): Promise<ReadModel> => parse(await ingress('GET', '/posts'));

  async function createPost(title: string, expectedTitle = title) {
    const answer = await ingress('POST', '/posts/create', { body: json({ title }) });
    expect(answer.status).toBe(201);
    const post = parse(answer);
    expect(post).toEqual({ id: expect.any(String), title: expectedTitle });
    expectedEventIds.add(`PostCreated:${post.id}`);
    expectedModel[post.id] = { id: post.id, title: expectedTitle, comments: [] };
    return post.id as string;
  }

  async function addComment(postId: string, content: string, expectedContent = content) {
    const answer = await ingress('POST', `/posts/${postId}/comments`, { body: json({ content }) });
    expect(answer.status).toBe(201);
    const comment = parse(answer);
    expect(comment).toEqual({ id: expect.any(String), postId, content: expectedContent, status: 'pending' });
    for (const type of ['CommentCreated', 'CommentModerated', 'CommentUpdated']) expectedEventIds.add(`${type}:${comment.id}`);
    // None of this suite's comments holds a banned word.
    expectedModel[postId].comments.push({ id: comment.id, content: expectedContent, status: 'approved' });
    return comment.id as string;
  }

  /** Publishes straight to the bus: a valid publish, so its event belongs in the log. */
  async function publish(event: { type: string; data: unknown }) {
    const answer = await direct('event-bus', 'POST', '/events', { body: json(event) });
    expect(answer.status).toBe(201);
    const { id, seq } = parse(answer);
    expectedEventIds.add(id);
    return seq as number;
  }

  /** Waits until every subscriber has acknowledged the whole log and no comment is pending. */
  async function settled() {
    const subs = await settle(subscriptions, (s) => s.every((x) => x.backlog === 0));
    expect(subs.filter((s) => s.backlog !== 0)).toEqual([]);
    return settle(readModel, (m) => Object.values(m).every((p) => p.comments.every((c) => c.status !== 'pending')));
  }

  /** The check that ends each group. */
  async function expectNothingDiedAndNothingStored() {
    const model = await settled();
    const log = await busLog();
    expect(log.map((e) => e.seq)).toEqual(log.map((_, i) => i + 1));
    expect(log.map((e) => e.id).sort()).toEqual([...expectedEventIds].sort());
    expect(model).toEqual(expectedModel);
    // Each accepted comment once, in the order it was made.
    for (const [id, post] of Object.entries(expectedModel)) {
      expect(model[id].comments.map((c) => c.id)).toEqual(post.comments.map((c) => c.id));
    }
    for (const name of SERVICE_NAMES) {
      expect({ name, restarts: sys.restarts(name), pid: sys.pid(name) }).toEqual({ name, restarts: 0, pid: pids.get(name) });
    }
  }

  beforeAll(async () => {
    // Open mode: the internal endpoints' own answers to bad input are what this suite checks; forgery.test.ts checks the signed system.
    sys = await startTestSystem('bad-input', { openBus: true });
    for (const name of SERVICE_NAMES) pids.set(name, sys.pid(name));
  }, 90_000);

  afterAll(async () => {
    await sys?.stop();
  });

  // ---------------------------------------------------------------- public: posts

  describe('POST /posts/create through the ingress', () => {
    const post = (body: string | Buffer, headers?: http.OutgoingHttpHeaders, chunked = false) => ingress('POST', '/posts/create', { body, headers, chunked });

    it.each(notJsonFor('title'))('answers 400 malformed_json for %s', async (_what, body) => {
      expectError(await post(body), 400, 'malformed_json');
    });

    it.each([
      ...invalidFor('title', 200),
      ['a misspelt field', json({ Title: 'x' })],
      ['an extra field', json({ title: 'x', author: 'me' })],
      ['an id of our choosing', json({ title: 'x', id: 'mine' })],
      ['a __proto__ field', '{"title": "x", "__proto__": {"admin": true}}'],
      ['a constructor field', '{"title": "x", "constructor": {"prototype": {}}}'],
    ])('answers 400 invalid_request for %s', async (_what, body) => {
      expectError(await post(body), 400, 'invalid_request');
    });

    it.each(REFUSED_IN_ONE_LINE)('answers 400 invalid_request for a title holding %s, naming the character and its position', async (_what, title, problem) => {
      const answer = await post(json({ title }));
      expectError(answer, 400, 'invalid_request');
      expect(parse(answer).error.message).toBe(`title: ${problem}, which is not allowed`);
    });

    it.each([
      ['text/plain', 'text/plain'],
      ['a form', 'application/x-www-form-urlencoded'],
    ])('answers 400 invalid_request for JSON sent as %s', async (_what, contentType) => {
      expectError(await post(json({ title: 'x' }), { 'content-type': contentType }), 400, 'invalid_request');
    });

    it('answers 415 for a charset JSON bodies cannot have', async () => {
      expectError(await post(json({ title: 'x' }), { 'content-type': 'application/json; charset=ebcdic' }), 415, 'bad_request');
    });

    it('answers 415 for an unknown content encoding', async () => {
      expectError(await post(json({ title: 'x' }), { 'content-encoding': 'x-snappy' }), 415, 'bad_request');
    });

    it('answers 400 for a body that claims gzip and is not', async () => {
      expectError(await post(json({ title: 'x' }), { 'content-encoding': 'gzip' }), 400, 'bad_request');
    });

    it.each([
      ['with a space', 'my key'],
      ['of 201 characters', 'k'.repeat(201)],
    ])('answers 400 invalid_request for an Idempotency-Key %s', async (_what, key) => {
      expectError(await post(json({ title: 'x' }), { 'idempotency-key': key }), 400, 'invalid_request');
    });

    it("answers 413 payload_too_large from the service for a body over its 64 KB limit (the ingress's is 1 MB)", async () => {
      expectError(await post(json({ title: 'x'.repeat(70_000) })), 413, 'payload_too_large');
    });

    it('answers 413 payload_too_large from the service for a chunked body over the limit', async () => {
      expectError(await post(json({ title: 'x'.repeat(2_000_000) }), {}, true), 413, 'payload_too_large');
    });

    it('answers 413 payload_too_large from the ingress for a body over 1 MB', async () => {
      expectError(await post(json({ title: 'x'.repeat(1_100_000) })), 413, 'payload_too_large');
    });

    it('leaves every process running and stores nothing', async () => {
      await expectNothingDiedAndNothingStored();
    });
  });

  // ---------------------------------------------------------------- public: comments

  describe('POST and GET /posts/:id/comments through the ingress', () => {
    let postId: string;
    beforeAll(async () => {
      postId = await createPost('A post to comment on');
    });
    const comment = (body: string, id = postId) => ingress('POST', `/posts/${id}/comments`, { body });

    it.each(notJsonFor('content'))('answers 400 malformed_json for %s', async (_what, body) => {
      expectError(await comment(body), 400, 'malformed_json');
    });

    it.each([
      ...invalidFor('content', 1000),
      ['a blank content of spaces and a line break', json({ content: '   \n ' })],
      ['the title field instead', json({ title: 'x' })],
      ['an extra field', json({ content: 'x', status: 'approved' })],
      ['a postId of our choosing', json({ content: 'x', postId: 'other' })],
    ])('answers 400 invalid_request for %s', async (_what, body) => {
      expectError(await comment(body), 400, 'invalid_request');
    });

    it.each(REFUSED_IN_ANY_TEXT)(
      'answers 400 invalid_request for content holding %s, naming the character and its position',
      async (_what, content, problem) => {
        const answer = await comment(json({ content }));
        expectError(answer, 400, 'invalid_request');
        expect(parse(answer).error.message).toBe(`content: ${problem}, which is not allowed`);
      },
    );

    it('answers 413 payload_too_large for a body over 64 KB', async () => {
      expectError(await comment(json({ content: 'x'.repeat(70_000) })), 413, 'payload_too_large');
    });

    it('answers 413 payload_too_large from the ingress for a body over 1 MB', async () => {
      expectError(await comment(json({ content: 'x'.repeat(1_100_000) })), 413, 'payload_too_large');
    });

    it.each([
      ['an unknown post', 'no-such-post'],
      ['a post id that looks real', '00000000-0000-4000-8000-000000000000'],
      ['a post id made of an Object.prototype name', '__proto__'],
      ['a post id made of another', 'constructor'],
      ['an encoded slash', '%2F'],
    ])('answers 404 post_not_found to a comment on %s', async (_what, id) => {
      expectError(await comment(json({ content: 'hello' }), id), 404, 'post_not_found');
      expectError(await ingress('GET', `/posts/${id}/comments`), 404, 'post_not_found');
    });

    it('answers 400 invalid_request for a post id of 101 characters', async () => {
      expectError(await comment(json({ content: 'hello' }), 'p'.repeat(101)), 400, 'invalid_request');
      expectError(await ingress('GET', `/posts/${'p'.repeat(101)}/comments`), 400, 'invalid_request');
    });

    it('answers 400 for a post id that is not valid percent-encoding', async () => {
      expectError(await comment(json({ content: 'hello' }), '%E0%A4%A'), 400, 'bad_request');
      expectError(await ingress('GET', '/posts/%ZZ/comments'), 400, 'bad_request');
    });

    it('leaves every process running and stores nothing but the post', async () => {
      await expectNothingDiedAndNothingStored();
      expect(parse(await ingress('GET', `/posts/${postId}/comments`))).toEqual([]);
    });
  });

  // ---------------------------------------------------------------- public: text taken as it is

  describe('HTML, script and unicode text is stored as text and comes back byte for byte', () => {
    const texts: Array<[string, string]> = [
      ['a script tag', '<script>alert("pwned")</script>'],
      ['an event handler', '<img src=x onerror="alert(1)">'],
      ['HTML entities, left as they are', '&lt;b&gt; &amp; &quot; &#x3C;'],
      ['quotes and backslashes', `"double" 'single' \`back\` \\ \\n \\u0041`],
      ['emoji with ZWJ sequences and skin tones', '🎉 👩‍👩‍👧‍👦 👍🏽 🏳️‍🌈'],
      ['right-to-left Arabic and Hebrew', 'مرحبا بالعالم — שלום עולם'],
      ['bidirectional marks (LRM, RLM, ALM)', 'abc\u200E שלום\u200F \u061Cمرحبا'],
      ['combining marks, not normalized', 'e\u0301 n\u0303 Z\u0324\u0354\u0367\u0311a\u0308\u0356'],
      ['the same letter precomposed', '\u00e9 \u00f1'],
      ['CJK', '你好，世界 こんにちは 안녕하세요'],
      ['zero-width characters inside', 'a\u200Bb\u200Cc\u200Dd\uFEFFe'],
      ['astral symbols', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𓀀 🀄'],
      ['SQL and template syntax', "'; DROP TABLE posts; -- ${1+1} {{7*7}}"],
    ];

    it.each(texts)('takes %s as a title and as a comment', async (_what, text) => {
      const postId = await createPost(text);
      await addComment(postId, text);
      const own = parse(await ingress('GET', `/posts/${postId}/comments`));
      expect(own.map((c: Comment) => c.content)).toEqual([text]);
    });

    it('takes a title of exactly 200 characters and a comment of exactly 1000', async () => {
      const postId = await createPost('t'.repeat(200));
      await addComment(postId, 'c'.repeat(1000));
    });

    it('counts characters, not UTF-16 units: takes a title of 200 emoji and a comment of 1000', async () => {
      const postId = await createPost('🎉'.repeat(200));
      await addComment(postId, '𝔘'.repeat(1000));
    });

    it('trims surrounding whitespace, and nothing else', async () => {
      await createPost('  \t padded <b>title</b> \n ', 'padded <b>title</b>');
    });

    it('takes tabs and line breaks inside a comment, and stores a CRLF as LF', async () => {
      const postId = await createPost('Comments over several lines');
      await addComment(postId, 'one\ttab\ntwo');
      await addComment(postId, 'three\r\nfour', 'three\nfour');
    });

    it('shows every accepted text in GET /posts exactly as sent, once', async () => {
      await expectNothingDiedAndNothingStored();
      const raw = (await ingress('GET', '/posts')).text;
      for (const [, text] of texts) expect(raw.includes(JSON.stringify(text).slice(1, -1))).toBe(true);
    });
  });

  // ---------------------------------------------------------------- public: routes

  describe('unknown routes and hosts through the ingress', () => {
    it.each([
      ['GET', '/no-such-page.json'],
      ['POST', '/no-such-page'],
      ['GET', '/assets/no-such-file.js'],
      ['GET', '/posts/create'],
      ['DELETE', '/posts/create'],
      ['PUT', '/posts'],
      ['DELETE', '/posts'],
      ['GET', '/posts/some-id'],
      ['GET', '/posts/a/b/comments'],
      ['DELETE', '/posts/some-id/comments'],
      ['POST', '/events'],
      ['GET', '/events'],
    ])('answers 404 not_found to %s %s', async (method, urlPath) => {
      expectError(
        await ingress(method, urlPath, method === 'GET' || method === 'DELETE' ? {} : { body: json({ title: 'x', content: 'x' }) }),
        404,
        'not_found',
      );
    });

    it('answers 404 not_found for a host other than posts.com', async () => {
      expectError(await ingress('GET', '/posts', { headers: { host: 'evil.example' } }), 404, 'not_found');
      expectError(await ingress('POST', '/posts/create', { body: json({ title: 'x' }), headers: { host: 'evil.example' } }), 404, 'not_found');
    });

    it('leaves every process running and stores nothing', async () => {
      await expectNothingDiedAndNothingStored();
    });
  });

  // ---------------------------------------------------------------- internal: the bus

  describe('the event bus, directly', () => {
    const publishRaw = (body: string | Buffer, headers?: http.OutgoingHttpHeaders) => direct('event-bus', 'POST', '/events', { body, headers });
    const ok = { type: 'BadInputProbe', data: {} };

    it.each([
      ['cut-off JSON', '{"type": "X", "data": {}'],
      ['plain words', 'publish this'],
      ['a bare string', '"PostCreated"'],
      ['null', 'null'],
    ])('POST /events answers 400 malformed_json for %s', async (_what, body) => {
      expectError(await publishRaw(body), 400, 'malformed_json');
    });

    it.each([
      ['an empty body', ''],
      ['an empty object', '{}'],
      ['an empty array', '[]'],
      ['no type', json({ data: {} })],
      ['no data', json({ type: 'X' })],
      ['an empty type', json({ type: '', data: {} })],
      ['a blank type', json({ type: '   ', data: {} })],
      ['a type of 101 characters', json({ type: 'T'.repeat(101), data: {} })],
      ['a number type', json({ type: 7, data: {} })],
      ['null data', json({ type: 'X', data: null })],
      ['string data', json({ type: 'X', data: 'x' })],
      ['array data', json({ type: 'X', data: [1] })],
      ['an empty id', json({ id: '', type: 'X', data: {} })],
      ['an id of 201 characters', json({ id: 'i'.repeat(201), type: 'X', data: {} })],
      ['a number id', json({ id: 7, type: 'X', data: {} })],
      ['a requestId of 201 characters', json({ ...ok, requestId: 'r'.repeat(201) })],
      ['a seq of our choosing', json({ ...ok, seq: 1 })],
      ['an extra field', json({ ...ok, at: '2020-01-01T00:00:00Z' })],
      ['a batch with one bad event in it', json([ok, { type: 'X' }])],
      ['a batch of 1001 events', json(Array.from({ length: 1001 }, () => ok))],
      ['data nested 10,000 deep', `{"type": "X", "data": {"deep": ${nested(10_000)}}}`],
    ])('POST /events answers 400 invalid_request for %s', async (_what, body) => {
      expectError(await publishRaw(body), 400, 'invalid_request');
    });

    it('POST /events stores no event of a batch refused because one of them is nested too deep', async () => {
      const refused = { type: 'BadInputProbe', data: { marker: 'in a refused batch' } };
      const answer = await publishRaw(`[${json(refused)}, {"type": "X", "data": {"deep": ${nested(10_000)}}}]`);
      await publish({ type: 'BadInputProbe', data: { marker: 'after it' } }); // the next write must not carry it along
      expect((await busLog()).filter((e) => json(e.data) === json(refused.data))).toEqual([]);
      expectError(answer, 400, 'invalid_request');
    });

    it('POST /events answers 400 invalid_request for JSON sent as text/plain', async () => {
      expectError(await publishRaw(json(ok), { 'content-type': 'text/plain' }), 400, 'invalid_request');
    });

    it('POST /events answers 413 payload_too_large for a body over 1 MB', async () => {
      expectError(await publishRaw(json({ type: 'X', data: { big: 'x'.repeat(1_100_000) } })), 413, 'payload_too_large');
    });

    it.each([
      ['after=-1'],
      ['after=abc'],
      ['after=1.5'],
      ['after=Infinity'],
      ['after=1&after=2'],
      ['limit=0'],
      ['limit=10001'],
      ['limit=-5'],
      ['limit=ten'],
      ['after=0&limit=1e400'],
    ])('GET /events?%s answers 400 invalid_request', async (query) => {
      expectError(await direct('event-bus', 'GET', `/events?${query}`), 400, 'invalid_request');
    });

    it('GET /events past the end of the log answers an empty page', async () => {
      const answer = await direct('event-bus', 'GET', '/events?after=1000000000&limit=10');
      expect([answer.status, parse(answer)]).toEqual([200, []]);
    });

    it('GET /subscriptions answers one entry per backend', async () => {
      const subs = await subscriptions();
      expect(subs.map((s) => new URL(s.url).port).sort()).toEqual(BACKENDS.map((b) => String(sys.ports[b])).sort());
    });

    it.each([
      ['GET', '/nope'],
      ['PUT', '/events'],
      ['DELETE', '/events'],
      ['POST', '/subscriptions'],
      ['POST', '/healthz'],
    ])('answers 404 not_found to %s %s', async (method, urlPath) => {
      expectError(await direct('event-bus', method, urlPath, method === 'GET' ? {} : { body: '{}' }), 404, 'not_found');
    });

    it('leaves every process running and stores nothing', async () => {
      await expectNothingDiedAndNothingStored();
    });
  });

  // ---------------------------------------------------------------- internal: deliveries to the backends

  describe("each backend's POST /events (deliveries from the bus), directly", () => {
    const deliver = (service: Backend, body: string | Buffer) => direct(service, 'POST', '/events', { body });
    const envelope = (seq: number, type = 'PostCreated', data: unknown = { id: 'forged', title: 'forged' }) => ({
      id: `forged-${seq}-${type}`,
      seq,
      type,
      data,
      at: new Date().toISOString(),
    });
    let head: number;
    beforeAll(async () => {
      await settled();
      head = (await busLog()).length;
    });

    const notEnvelopes: Array<[string, unknown]> = [
      ['an empty object', {}],
      ['a publication without seq', { type: 'PostCreated', data: {} }],
      ['seq 0', { ...envelope(1), seq: 0 }],
      ['a negative seq', { ...envelope(1), seq: -3 }],
      ['a fractional seq', { ...envelope(1), seq: 1.5 }],
      ['a string seq', { ...envelope(1), seq: '1' }],
      ['a seq past 2^53', { ...envelope(1), seq: 2 ** 60 }],
      ['no id', { ...envelope(1), id: undefined }],
      ['an empty type', { ...envelope(1), type: '' }],
      ['no at', { ...envelope(1), at: undefined }],
      ['a batch with one bad event', [envelope(1), { seq: 2 }]],
    ];
    const cases = BACKENDS.flatMap((b) => notEnvelopes.map(([what, body]) => [b, what, body] as const));

    it.each(cases)('%s answers 400 invalid_event for %s', async (service, _what, body) => {
      expectError(await deliver(service, json(body)), 400, 'invalid_event');
    });

    const notJson: Array<[string, string]> = [
      ['cut-off JSON', '[{"id": "x", "seq": 1'],
      ['a bare string', '"PostCreated"'],
      ['a number', '42'],
      ['null', 'null'],
    ];
    it.each(BACKENDS.flatMap((b) => notJson.map(([what, body]) => [b, what, body] as const)))(
      '%s answers 400 malformed_json for %s',
      async (service, _what, body) => {
        expectError(await deliver(service, body), 400, 'malformed_json');
      },
    );

    it.each(BACKENDS)('%s answers 413 payload_too_large for a delivery over 16 MB', async (service) => {
      const body = Buffer.alloc(16 * 1024 * 1024 + 10, ' ');
      body[0] = '['.charCodeAt(0);
      body[body.length - 1] = ']'.charCodeAt(0);
      expectError(await deliver(service, body), 413, 'payload_too_large');
    });

    it.each(BACKENDS)('%s acknowledges and ignores events with a seq it already applied (forged past events)', async (service) => {
      const past = [envelope(1), envelope(2, 'CommentCreated', { id: 'c', postId: 'forged', content: 'x', status: 'pending' }), envelope(head)];
      for (const body of [past[0], past]) {
        const answer = await deliver(service, json(body));
        expect([answer.status, parse(answer)]).toEqual([200, { ack: head }]);
      }
    });

    it.each(BACKENDS)('%s acknowledges and ignores an unknown or malformed event at a seq it already applied', async (service) => {
      for (const event of [envelope(head, 'NoSuchEvent'), envelope(head, 'PostCreated', { id: 5 }), envelope(1, 'constructor', {})]) {
        const answer = await deliver(service, json(event));
        expect([answer.status, parse(answer)]).toEqual([200, { ack: head }]);
      }
    });

    it.each(BACKENDS)('%s acknowledges an empty batch', async (service) => {
      const answer = await deliver(service, '[]');
      expect([answer.status, parse(answer)]).toEqual([200, { ack: head }]);
    });

    // head + 1 is not tested: a subscriber cannot tell a forged next event from the bus's own.
    it.each(BACKENDS.flatMap((b) => [2, 1000, 2 ** 40].map((ahead) => [b, ahead] as const)))(
      '%s answers 409 seq_ahead_of_log for a seq %d past the end of the log',
      async (service, ahead) => {
        expectError(await deliver(service, json(envelope(head + ahead))), 409, 'seq_ahead_of_log');
      },
    );

    it.each(BACKENDS)('%s answers 409 seq_ahead_of_log for a batch of past and future events', async (service) => {
      expectError(await deliver(service, json([envelope(1), envelope(head + 5)])), 409, 'seq_ahead_of_log');
    });

    it.each(BACKENDS)('%s answers 404 not_found to unknown routes', async (service) => {
      expectError(await direct(service, 'GET', '/events'), 404, 'not_found');
      expectError(await direct(service, 'PUT', '/events', { body: '{}' }), 404, 'not_found');
      expectError(await direct(service, 'GET', '/no/such/route'), 404, 'not_found');
    });

    it('moderation has no public routes', async () => {
      expectError(await direct('moderation', 'POST', '/posts/create', { body: json({ title: 'x' }) }), 404, 'not_found');
      expectError(await direct('moderation', 'GET', '/posts'), 404, 'not_found');
    });

    it.each(SERVICE_NAMES)('%s answers /healthz and /readyz with 200 JSON', async (service) => {
      for (const probe of ['/healthz', '/readyz']) {
        const answer = await direct(service, 'GET', probe);
        expect([probe, answer.status, answer.contentType]).toEqual([probe, 200, expect.stringMatching(/^application\/json/)]);
      }
    });

    it('leaves every process running, every subscriber where it was, and stores nothing', async () => {
      await expectNothingDiedAndNothingStored();
      expect((await busLog()).length).toBe(head);
      for (const service of BACKENDS) {
        const answer = await deliver(service, '[]');
        expect([service, parse(answer)]).toEqual([service, { ack: head }]);
      }
    });
  });

  // ---------------------------------------------------------------- internal: events nobody should act on

  describe('events every subscriber must acknowledge and ignore, published through the bus', () => {
    const events: Array<[string, { type: string; data: unknown }]> = [
      ['an unknown type', { type: 'NoSuchEvent', data: { id: 'x' } }],
      ['a lower-case known type', { type: 'postcreated', data: { id: 'lower', title: 'lower' } }],
      ['PostCreated without an id', { type: 'PostCreated', data: { title: 'no id' } }],
      ['PostCreated with a number id', { type: 'PostCreated', data: { id: 5, title: 'five' } }],
      ['PostCreated with an empty id', { type: 'PostCreated', data: { id: '', title: '' } }],
      ['CommentCreated with a number postId', { type: 'CommentCreated', data: { id: 'c1', postId: 5, content: 'x', status: 'pending' } }],
      ['CommentCreated without content', { type: 'CommentCreated', data: { id: 'c2', postId: 'p' } }],
      ['CommentModerated for an unknown comment', { type: 'CommentModerated', data: { id: 'nobody', postId: 'nowhere', content: 'x', status: 'approved' } }],
      ['CommentUpdated for an unknown comment', { type: 'CommentUpdated', data: { id: 'nobody', postId: 'nowhere', content: 'x', status: 'approved' } }],
      ['CommentUpdated with an unknown status', { type: 'CommentUpdated', data: { id: 'nobody', postId: 'nowhere', content: 'x', status: 'deleted' } }],
    ];

    // Names every plain object inherits: a lookup by event type must not find them.
    const inheritedNames = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__', 'isPrototypeOf'];

    async function expectAcknowledgedByAll(seq: number) {
      const subs = await settle(subscriptions, (s) => s.every((x) => x.cursor >= seq));
      // lastError shows why a subscriber is stuck, when one is.
      expect(subs.map((s) => ({ url: s.url, acknowledged: s.cursor >= seq, lastError: s.cursor >= seq ? null : s.lastError }))).toEqual(
        subs.map((s) => ({ url: s.url, acknowledged: true, lastError: null })),
      );
    }

    it.each(events)('%s is acknowledged by all four and changes nothing', async (_what, event) => {
      const seq = await publish(event);
      await expectAcknowledgedByAll(seq);
    });

    it.each(inheritedNames)('an event of type %s is acknowledged by all four and changes nothing', async (type) => {
      const seq = await publish({ type, data: { id: 'x' } });
      await expectAcknowledgedByAll(seq);
    });

    it('still carries a new post and comment to the read model afterwards', async () => {
      const postId = await createPost('After the odd events');
      await addComment(postId, 'Still flowing');
      await expectNothingDiedAndNothingStored();
    });
  });
});
