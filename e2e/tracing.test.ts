// Traces through events: the system as `npm start` runs it, every service sending its spans to a local OTLP/HTTP
// receiver, and one comment followed as one trace from the public request through the bus, moderation, comments
// and the bus again to query, each `process` span a child of the `publish` span of its event.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { System } from '@posts/runtime';
import { everyService, startTestSystem, until } from './support';

/** A span as the receiver keeps it: the fields of OTLP's JSON encoding that the test reads, and its service's name. */
interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP's SpanKind: 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, unknown>;
}

interface OtlpAttribute {
  key: string;
  value: Record<string, unknown>;
}
interface OtlpRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{ spans?: Array<Omit<ReceivedSpan, 'service' | 'attributes'> & { attributes?: OtlpAttribute[] }> }>;
  }>;
}

const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

/** The spans above `span` in its trace, its parent first. */
function ancestorsOf(trace: ReceivedSpan[], span: ReceivedSpan): ReceivedSpan[] {
  const parent = trace.find((s) => s.spanId === span.parentSpanId);
  return parent ? [parent, ...ancestorsOf(trace, parent)] : [];
}

const valuesOf = (attributes: OtlpAttribute[] = []) => Object.fromEntries(attributes.map(({ key, value }) => [key, Object.values(value)[0]]));

/** A local OTLP/HTTP trace receiver: takes POST /v1/traces in JSON (gzipped or not), as the exporter sends it, and keeps every span. */
async function startReceiver() {
  const spans: ReceivedSpan[] = [];
  const refused: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces' || req.headers['content-type'] !== 'application/json') {
        refused.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
        return void res.writeHead(415).end();
      }
      const body = Buffer.concat(chunks);
      const request = JSON.parse((req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8')) as OtlpRequest;
      for (const { resource, scopeSpans = [] } of request.resourceSpans ?? []) {
        const service = String(valuesOf(resource?.attributes)['service.name']);
        for (const { spans: scoped = [] } of scopeSpans) {
          for (const { attributes, ...span } of scoped) spans.push({ ...span, service, attributes: valuesOf(attributes) });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    refused,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('traces through events', () => {
  jest.setTimeout(90_000);
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let sys: System;
  const ingress = (p: string) => `http://127.0.0.1:${sys.ports.ingress}${p}`;

  async function post(address: string, body: unknown): Promise<{ id: string }> {
    const res = await fetch(address, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string };
  }

  /** The spans of the trace that publishing event `eventId` belongs to, once they include every one of `names` (as `service: name`). */
  function traceOf(eventId: string, names: string[]): Promise<ReceivedSpan[]> {
    return until(
      `the trace of ${eventId} to hold ${names.join(', ')}`,
      () => {
        const published = receiver.spans.find((s) => s.kind === PRODUCER && s.attributes['messaging.message.id'] === eventId);
        const trace = receiver.spans.filter((s) => s.traceId === published?.traceId);
        return names.every((name) => trace.some((s) => `${s.service}: ${s.name}` === name)) && trace;
      },
      30_000,
      50,
    );
  }

  beforeAll(async () => {
    receiver = await startReceiver();
    sys = await startTestSystem('tracing', {
      // Spans go out every 100 ms rather than every 5 s.
      env: everyService({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100' }),
    });
  });

  afterAll(async () => {
    await sys?.stop();
    await receiver?.close();
  });

  let postId: string;

  it('follows a post from its request to every service that applies it, in one trace', async () => {
    postId = (await post(ingress('/posts/create'), { title: 'Traced' })).id;
    const trace = await traceOf(`PostCreated:${postId}`, ['posts: publish PostCreated', 'comments: process PostCreated', 'query: process PostCreated']);
    const published = trace.find((s) => s.name === 'publish PostCreated')!;
    expect(ancestorsOf(trace, published)).toContainEqual(expect.objectContaining({ service: 'posts', kind: SERVER, name: 'POST /posts/create' }));
    for (const service of ['comments', 'query']) {
      expect(trace.find((s) => s.service === service && s.name === 'process PostCreated')).toMatchObject({ kind: CONSUMER, parentSpanId: published.spanId });
    }
  });

  it('follows a comment through comments, the bus, moderation, comments, the bus and query in one trace', async () => {
    const comment = await post(ingress(`/posts/${postId}/comments`), { content: 'Followed all the way' });
    const trace = await traceOf(`CommentCreated:${comment.id}`, [
      'comments: publish CommentCreated',
      'moderation: process CommentCreated',
      'moderation: publish CommentModerated',
      'comments: process CommentModerated',
      'comments: publish CommentUpdated',
      'query: process CommentUpdated',
    ]);
    expect([...new Set(trace.map((s) => s.service))]).toEqual(expect.arrayContaining(['comments', 'event-bus', 'moderation', 'query']));
    const span = (service: string, name: string) => trace.find((s) => s.service === service && s.name === name)!;

    // The public request, then each event published under what caused it and processed under its publish span.
    const created = span('comments', 'publish CommentCreated');
    expect(ancestorsOf(trace, created)).toContainEqual(expect.objectContaining({ service: 'comments', kind: SERVER, name: 'POST /posts/:id/comments' }));
    expect(created).toMatchObject({
      kind: PRODUCER,
      attributes: {
        'messaging.system': 'posts.com-event-bus',
        'messaging.operation.name': 'publish',
        'messaging.destination.name': 'CommentCreated',
        'messaging.message.id': `CommentCreated:${comment.id}`,
      },
    });
    const moderating = span('moderation', 'process CommentCreated');
    expect(moderating).toMatchObject({ kind: CONSUMER, parentSpanId: created.spanId, attributes: { 'messaging.operation.name': 'process' } });
    const verdict = span('moderation', 'publish CommentModerated');
    expect(verdict.parentSpanId).toBe(moderating.spanId);
    const applyingVerdict = span('comments', 'process CommentModerated');
    expect(applyingVerdict.parentSpanId).toBe(verdict.spanId);
    const updated = span('comments', 'publish CommentUpdated');
    expect(updated.parentSpanId).toBe(applyingVerdict.spanId);
    expect(span('query', 'process CommentUpdated').parentSpanId).toBe(updated.spanId);

    // The bus took each publish in a request the publisher's client span sent.
    for (const publish of [created, verdict, updated]) {
      const request = trace.find((s) => s.kind === CLIENT && s.parentSpanId === publish.spanId);
      expect(trace.find((s) => s.service === 'event-bus' && s.kind === SERVER && s.parentSpanId === request?.spanId)).toBeDefined();
    }
  });

  it('makes no span for probes or for the bus’s deliveries, and sends only OTLP JSON', () => {
    const paths = receiver.spans.map((s) => String(s.attributes['url.path'] ?? s.attributes['http.target'] ?? ''));
    expect(paths.filter((p) => /^\/(healthz|readyz)/.test(p))).toEqual([]);
    const deliveries = receiver.spans.filter((s) => s.service !== 'event-bus' && s.kind === SERVER && /^\/events/.test(paths[receiver.spans.indexOf(s)]));
    expect(deliveries).toEqual([]);
    expect(receiver.spans.filter((s) => s.service === 'event-bus' && s.kind === CLIENT)).toEqual([]);
    expect(receiver.refused).toEqual([]);
  });
});
