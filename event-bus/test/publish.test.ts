// POST /events, the hot path, answered byte for byte as it always was: each answer's status line,
// headers (no request id, no ETag, no X-Powered-By) and body, over raw keep-alive connections, in
// open mode and with a secret.
import { once } from 'node:events';
import { Server } from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { RequestSigner, SIGNATURE_HEADER, SIGNATURE_WINDOW_MS, SignatureGuard } from '@posts/bus-http';
import { createApp } from '../src/app';
import { EventLog, LogUnavailableError } from '../src/log';

const SECRET = '0123456789abcdef'.repeat(4);
const signer = new RequestSigner(SECRET);
const JSON_TYPE = 'application/json';
/** Node's idle timeout for a kept-alive connection, in seconds, as its Keep-Alive header says. */
const KEEP_ALIVE = new Server().keepAliveTimeout / 1000;

/** A bus on a loopback port, what it logged, and its guard; closed after each test. */
const open: Array<() => Promise<void>> = [];
afterEach(async () => Promise.all(open.splice(0).map((close) => close())));
async function startBus({ secret = false, log = EventLog.inMemory() } = {}) {
  const logged: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => logged.push(JSON.parse(line)) });
  const guard = new SignatureGuard(secret ? signer : undefined, logger);
  const server = createApp({ log, deliveries: [], logger, guard }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  open.push(() => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
  return { port: (server.address() as AddressInfo).port, log, logged, guard };
}

/** One keep-alive connection speaking raw HTTP/1.1; each answer as its text, without the Date header. */
async function connect(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let buffered = Buffer.alloc(0);
  let closed = false;
  let wake = () => {};
  socket.on('data', (chunk: Buffer) => ((buffered = Buffer.concat([buffered, chunk])), wake()));
  socket.on('close', () => ((closed = true), wake()));
  open.push(async () => void socket.destroy());
  return {
    write: (bytes: string | Buffer) => socket.write(bytes),
    /** The next whole answer. */
    async answer(): Promise<string> {
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        const length = end === -1 ? 0 : Number(/\r\ncontent-length: (\d+)/i.exec(buffered.subarray(0, end).toString('latin1'))?.[1] ?? 0);
        if (end !== -1 && buffered.length >= end + 4 + length) {
          const text = buffered.subarray(0, end + 4 + length).toString('utf8');
          buffered = buffered.subarray(end + 4 + length);
          return text.replace(/\r\nDate: [^\r]*/, '');
        }
        if (closed) throw new Error(`the connection closed; it held ${JSON.stringify(buffered.toString('latin1'))}`);
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

type Headers = Record<string, string | number | undefined>;

/** A request's head: the Host, then `headers` as given (undefined ones left out). */
const head = (method: string, path: string, headers: Headers) =>
  `${method} ${path} HTTP/1.1\r\nHost: bus\r\n${Object.entries(headers)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;

/** A POST with its content-length (and `content-type: application/json` unless told otherwise). */
function post(body: string | Buffer, headers: Headers = {}, path = '/events'): Buffer {
  const bytes = Buffer.from(body);
  return Buffer.concat([Buffer.from(head('POST', path, { 'content-type': JSON_TYPE, 'content-length': bytes.length, ...headers })), bytes]);
}

/** A header that signs `body` as sent to `path`, at `at`. */
const signed = (body: string | Buffer, { path = '/events', at = Date.now(), by = signer } = {}) => ({
  [SIGNATURE_HEADER]: by.sign({ method: 'POST', path, body: Buffer.from(body) }, at),
});

/** An answer as the bus sends it: JSON, with its length, on a connection kept alive. */
const answer = (status: string, body: string) =>
  `HTTP/1.1 ${status}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=${KEEP_ALIVE}\r\n\r\n${body}`;
const error = (status: string, code: string, message: string) => answer(status, JSON.stringify({ error: { code, message } }));

const event = (id: string, data: unknown = {}) => JSON.stringify({ id, type: 'T', data });
const INVALID = error('400 Bad Request', 'invalid_request', 'Invalid input');
const MALFORMED = error('400 Bad Request', 'malformed_json', 'The request body is not valid JSON.');
const TOO_LARGE = error('413 Payload Too Large', 'payload_too_large', 'The request body is too large.');
const unauthorized = (reason: string) => error('401 Unauthorized', 'unauthorized', `Not signed with the bus secret: ${reason}.`);
const OVER_1_MB = JSON.stringify({ type: 'T', data: { text: 'x'.repeat(1024 * 1024) } });
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('POST /events in open mode', () => {
  it('answers a publish 201 {id, seq}, the same again 200, a batch 201 with an array, all on one connection', async () => {
    const bus = await startBus();
    const c = await connect(bus.port);
    const answers = [];
    for (const body of [event('a'), event('a'), `[${event('a')},${event('b')}]`, `[${event('a')},${event('b')}]`]) {
      c.write(post(body));
      answers.push(await c.answer());
    }
    expect(answers).toEqual([
      answer('201 Created', '{"id":"a","seq":1}'),
      answer('200 OK', '{"id":"a","seq":1}'),
      answer('201 Created', '[{"id":"a","seq":1,"duplicate":true},{"id":"b","seq":2,"duplicate":false}]'),
      answer('200 OK', '[{"id":"a","seq":1,"duplicate":true},{"id":"b","seq":2,"duplicate":true}]'),
    ]);
  });

  it.each<[string, Buffer, string]>([
    ['cut-off JSON', post('{"type":'), MALFORMED],
    ['null', post('null'), MALFORMED],
    ['a bare string', post('"T"'), MALFORMED],
    ['only whitespace', post(' \n '), MALFORMED],
    ['an empty body (read as {})', post(''), INVALID],
    ['a schema failure', post('{"type":"","data":1}'), INVALID],
    ['an extra field', post('{"type":"T","data":{},"seq":9}'), error('400 Bad Request', 'invalid_request', 'Unrecognized key: "seq"')],
    ['an empty batch', post('[]'), error('400 Bad Request', 'invalid_request', 'Too small: expected array to have >=1 items')],
    [
      'a traceparent not in W3C form',
      post(JSON.stringify({ type: 'T', data: {}, traceparent: TRACEPARENT.toUpperCase() })),
      error('400 Bad Request', 'invalid_request', 'traceparent: Invalid string: must match pattern /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/'),
    ],
    [
      'a source over 100 characters',
      post(JSON.stringify({ type: 'T', data: {}, source: 's'.repeat(101) })),
      error('400 Bad Request', 'invalid_request', 'source: Too big: expected string to have <=100 characters'),
    ],
    ['JSON sent as text/plain (not read)', post(event('t'), { 'content-type': 'text/plain' }), INVALID],
    ['JSON sent without a content type', post(event('t'), { 'content-type': undefined }), INVALID],
    ['a JSON content type and no body', Buffer.from(head('POST', '/events', { 'content-type': JSON_TYPE })), INVALID],
    [
      'a charset that is not UTF',
      post(event('l'), { 'content-type': `${JSON_TYPE}; charset=latin1` }),
      error('415 Unsupported Media Type', 'bad_request', 'unsupported charset "LATIN1"'),
    ],
    [
      'an unknown content encoding',
      post(event('z'), { 'content-encoding': 'xz' }),
      error('415 Unsupported Media Type', 'bad_request', 'unsupported content encoding "xz"'),
    ],
    ['a body over 1 MB', post(OVER_1_MB), TOO_LARGE],
    [
      'an event stored as more than 64 KiB',
      post(event('big', { text: 'x'.repeat(70_000) })),
      error('413 Payload Too Large', 'event_too_large', 'event 0 would be stored as 70082 bytes; one event may have 65536'),
    ],
    [
      'data nested too deep to store',
      post(`{"type":"T","data":{"deep":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`),
      error('400 Bad Request', 'invalid_request', 'event 0: its data cannot be stored as JSON (Maximum call stack size exceeded)'),
    ],
  ])('refuses %s, storing nothing, and takes the next publish on the same connection', async (_what, request, expected) => {
    const bus = await startBus();
    const c = await connect(bus.port);
    c.write(request);
    expect(await c.answer()).toBe(expected);
    c.write(post(event('next')));
    expect(await c.answer()).toBe(answer('201 Created', '{"id":"next","seq":1}'));
    expect(bus.logged).toEqual([]); // refusals of what was sent are not the bus's errors
  });

  it('stores a publish’s traceparent and source as given, and reads them back; an event without them has none', async () => {
    const bus = await startBus();
    const c = await connect(bus.port);
    c.write(post(`[${JSON.stringify({ id: 'a', type: 'T', data: {}, traceparent: TRACEPARENT, source: 'comments' })},${event('b')}]`));
    expect(await c.answer()).toBe(answer('201 Created', '[{"id":"a","seq":1,"duplicate":false},{"id":"b","seq":2,"duplicate":false}]'));
    const read = await fetch(`http://127.0.0.1:${bus.port}/events?after=0&limit=10`);
    const [traced, plain] = (await read.json()) as Array<Record<string, unknown>>;
    expect(traced).toEqual({ id: 'a', seq: 1, type: 'T', data: {}, at: expect.any(String), traceparent: TRACEPARENT, source: 'comments' });
    expect(Object.keys(plain)).toEqual(['id', 'seq', 'type', 'data', 'at']);
  });

  it('refuses a body over 1 MB sent in chunks', async () => {
    const bus = await startBus();
    const c = await connect(bus.port);
    const body = Buffer.from(OVER_1_MB);
    c.write(head('POST', '/events', { 'content-type': JSON_TYPE, 'transfer-encoding': 'chunked' }));
    c.write(`${body.length.toString(16)}\r\n`);
    c.write(body);
    c.write('\r\n0\r\n\r\n');
    expect(await c.answer()).toBe(TOO_LARGE);
  });

  it.each<[string, Buffer]>([
    ['a leading byte order mark', post(`\ufeff${event('e')}`)],
    ['leading whitespace', post(` \r\n\t${event('e')}`)],
    ['charset=utf-8', post(event('e'), { 'content-type': `${JSON_TYPE}; charset=utf-8` })],
    ['an upper-case content type', post(event('e'), { 'content-type': 'Application/JSON' })],
    ['a gzipped body', post(gzipSync(event('e')), { 'content-encoding': 'gzip' })],
    ['a query string', post(event('e'), {}, '/events?from=test')],
    ['a trailing slash', post(event('e'), {}, '/events/')],
    [
      'a chunked body',
      Buffer.concat([
        Buffer.from(head('POST', '/events', { 'content-type': JSON_TYPE, 'transfer-encoding': 'chunked' })),
        Buffer.from(`3\r\n{"i\r\n${(event('e').length - 3).toString(16)}\r\n${event('e').slice(3)}\r\n0\r\n\r\n`),
      ]),
    ],
  ])('takes a publish with %s', async (_what, request) => {
    const bus = await startBus();
    const c = await connect(bus.port);
    c.write(request);
    expect(await c.answer()).toBe(answer('201 Created', '{"id":"e","seq":1}'));
  });

  it('answers 503 log_unavailable while the log cannot be written, logging it once as an error', async () => {
    const log = EventLog.inMemory();
    const bus = await startBus({ log });
    const append = jest.spyOn(log, 'append').mockRejectedValueOnce(new LogUnavailableError('The event log cannot be written (ENOSPC).'));
    const c = await connect(bus.port);
    c.write(post(event('a')));
    expect(await c.answer()).toBe(error('503 Service Unavailable', 'log_unavailable', 'The event log cannot be written (ENOSPC).'));
    expect(bus.logged).toEqual([expect.objectContaining({ level: 50, msg: 'The event log cannot be written (ENOSPC).' })]);
    append.mockRestore();
    c.write(post(event('a')));
    expect(await c.answer()).toBe(answer('201 Created', '{"id":"a","seq":1}'));
  });
});

describe('POST /events with a secret', () => {
  it('takes a signed publish and its duplicate, as in open mode', async () => {
    const bus = await startBus({ secret: true });
    const c = await connect(bus.port);
    for (const status of ['201 Created', '200 OK']) {
      c.write(post(event('s'), signed(event('s'))));
      expect(await c.answer()).toBe(answer(status, '{"id":"s","seq":1}'));
    }
    expect(bus.guard.unauthorizedRequests).toBe(0);
  });

  it.each<[string, Headers, string]>([
    ['no signature', {}, 'no signature'],
    ['a malformed signature', { [SIGNATURE_HEADER]: 'nonsense' }, 'malformed signature'],
    [
      'a signature made 31 s ago',
      signed(OVER_1_MB, { at: Date.now() - SIGNATURE_WINDOW_MS - 1000 }),
      'signature outside the time window (are the clocks right?)',
    ],
  ])('refuses %s from the headers alone, before the body is sent', async (_what, headers, reason) => {
    const bus = await startBus({ secret: true });
    const c = await connect(bus.port);
    c.write(head('POST', '/events', { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(OVER_1_MB), ...headers }));
    expect(await c.answer()).toBe(unauthorized(reason));
    expect([bus.log.head, bus.guard.unauthorizedRequests, bus.logged.map((l) => [l.level, l.msg])]).toEqual([
      0,
      1,
      [[40, 'refused a request not signed with the bus secret']],
    ]);
  });

  it.each<[string, Buffer, string]>([
    ['an unsigned publish', post(event('u')), unauthorized('no signature')],
    [
      'a forgery of malformed JSON (never parsed)',
      post('{"type":', { [SIGNATURE_HEADER]: signed(event('u'))[SIGNATURE_HEADER] }),
      unauthorized('signature does not match'),
    ],
    ['a signature for another body', post(event('u'), signed(event('v'))), unauthorized('signature does not match')],
    ['a signature for another path', post(event('u'), signed(event('u'), { path: '/events?x=1' })), unauthorized('signature does not match')],
    [
      'a signature made with another secret',
      post(event('u'), signed(event('u'), { by: new RequestSigner('z'.repeat(64)) })),
      unauthorized('signature does not match'),
    ],
    [
      'a signed publish sent as text/plain (its body unread, so checked as empty)',
      post(event('u'), { ...signed(event('u')), 'content-type': 'text/plain' }),
      unauthorized('signature does not match'),
    ],
    ['signed malformed JSON', post('{"type":', signed('{"type":')), MALFORMED],
    ['a signed empty body', post('', signed('')), INVALID],
    ['a signed schema failure', post('{"type":""}', signed('{"type":""}')), INVALID],
    ['a signed body over 1 MB', post(OVER_1_MB, signed(OVER_1_MB)), TOO_LARGE],
  ])('answers %s, and takes a signed publish next on the same connection', async (_what, request, expected) => {
    const bus = await startBus({ secret: true });
    const c = await connect(bus.port);
    c.write(request);
    expect(await c.answer()).toBe(expected);
    const refused = expected.includes('"unauthorized"') ? 1 : 0;
    expect([bus.log.head, bus.guard.unauthorizedRequests, bus.logged.length]).toEqual([0, refused, refused]);
    c.write(post(event('next'), signed(event('next'))));
    expect(await c.answer()).toBe(answer('201 Created', '{"id":"next","seq":1}'));
  });
});
