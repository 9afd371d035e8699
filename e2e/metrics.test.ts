// Every service's /metrics, as Prometheus scrapes it: on each pod's metrics port (the manifests'
// 9464, a loopback port here), strict Prometheus text, moving as a comment flows; and never
// reachable through the ingress. On the event bus, and on NATS JetStream where the figures per
// subscriber come from each service's own consumer.
import { SERVICE_NAMES, type ServiceName, type System } from '@posts/runtime';
import { parsePrometheus, settle, startTestSystem, transportsFor, valueOf, type ReadModel, type Scrape } from './support';

/** The manifests' container port named `metrics`; the launcher gives each pod a loopback port for it. */
const METRICS_PORT = 9464;

describe('the Prometheus text reader', () => {
  const good = [
    '# HELP a_total Things.',
    '# TYPE a_total counter',
    'a_total{kind="x \\"quoted\\""} 3',
    '# TYPE h_seconds histogram',
    'h_seconds_bucket{le="0.1"} 1',
    'h_seconds_bucket{le="+Inf"} 2',
    'h_seconds_sum 0.3',
    'h_seconds_count 2',
    'g NaN',
    '',
  ].join('\n');

  it('reads families, labels and values', () => {
    const scrape = parsePrometheus(good);
    expect(scrape.types.get('h_seconds')).toBe('histogram');
    expect(valueOf(scrape, 'a_total', { kind: 'x "quoted"' })).toBe(3);
    expect(valueOf(scrape, 'h_seconds_count')).toBe(2);
  });

  it.each([
    ['a value that is no number', 'a 1x\n'],
    ['a label unquoted', 'a{b=c} 1\n'],
    ['a series twice', 'a 1\na 2\n'],
    ['an unknown type', '# TYPE a countr\na 1\n'],
    ['a missing newline at the end', 'a 1'],
    ['a histogram whose +Inf bucket is not its count', good.replace('h_seconds_count 2', 'h_seconds_count 3')],
    ['an HTML page', '<!doctype html>\n<html></html>\n'],
  ])('refuses %s', (_what, text) => {
    expect(() => parsePrometheus(text)).toThrow();
  });
});

describe.each(transportsFor('the metrics test'))('/metrics of every service, on %s', (_transport, { nats }) => {
  jest.setTimeout(120_000);
  let sys: System;
  const ingress = (p: string) => `http://127.0.0.1:${sys.ports.ingress}${p}`;
  const running = (): ServiceName[] => SERVICE_NAMES.filter((s) => !(nats && s === 'event-bus'));

  /** One pod's /metrics, parsed strictly. */
  async function scrapePod(name: ServiceName, replica: number): Promise<Scrape> {
    const res = await fetch(`http://127.0.0.1:${sys.pods(name)[replica].ports[METRICS_PORT]}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheus(await res.text());
  }
  /** Every pod of a service. */
  const scrape = (name: ServiceName) => Promise.all(sys.pods(name).map((_pod, i) => scrapePod(name, i)));
  /** A figure summed over a service's pods. */
  const total = async (name: ServiceName, metric: string, labels: Record<string, string> = {}) =>
    (await scrape(name)).reduce((sum, s) => sum + valueOf(s, metric, labels), 0);

  beforeAll(async () => {
    sys = await startTestSystem('metrics', { nats });
  });

  afterAll(async () => {
    await sys?.stop();
  });

  it("serves each pod's metrics as Prometheus text, with the process's own and the request histogram", async () => {
    for (const name of running()) {
      for (const scraped of await scrape(name)) {
        expect([name, scraped.types.get('process_cpu_seconds_total')]).toEqual([name, 'counter']);
        expect([name, scraped.types.get('nodejs_heap_size_total_bytes')]).toEqual([name, 'gauge']);
        expect([name, scraped.types.get('http_request_duration_seconds')]).toEqual([name, 'histogram']);
      }
    }
  });

  it("shows each backend's database beside its checkpoint: its size and kind, and whether it is rebuilding", async () => {
    for (const name of ['posts', 'comments', 'query', 'moderation'] as const) {
      for (const scraped of await scrape(name)) {
        expect([name, valueOf(scraped, 'db_size_bytes', { kind: 'embedded' }) > 0]).toEqual([name, true]);
        expect([name, valueOf(scraped, 'sdk_rebuilding')]).toEqual([name, 0]);
        expect([name, scraped.types.get('sdk_last_applied_seq')]).toEqual([name, 'gauge']);
      }
    }
  });

  it('moves as a comment goes through the system', async () => {
    const before = {
      appended: nats ? 0 : await total('event-bus', 'bus_events_appended_total'),
      head: nats ? 0 : await total('event-bus', 'bus_log_head'),
      querySeq: Math.min(...(await scrape('query')).map((s) => valueOf(s, 'sdk_last_applied_seq'))),
      queryComments: await total('query', 'sdk_events_applied_total', { type: 'CommentCreated' }),
      moderated: await total('moderation', 'sdk_events_applied_total', { type: 'CommentCreated' }),
      commentPosts: await total('comments', 'http_request_duration_seconds_count', { method: 'POST', route: '/posts/:id/comments', status: '201' }),
      postPosts: await total('posts', 'http_request_duration_seconds_count', { method: 'POST', route: '/posts/create', status: '201' }),
      commentPublishes: await total('comments', 'sdk_publish_duration_seconds_count'),
      verdicts: await total('moderation', 'sdk_publish_duration_seconds_count'),
    };

    const post = await fetch(ingress('/posts/create'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Counted' }),
    });
    expect(post.status).toBe(201);
    const { id } = (await post.json()) as { id: string };
    const comment = await fetch(ingress(`/posts/${id}/comments`), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'Measured' }),
    });
    expect(comment.status).toBe(201);
    // Every query replica holds it moderated: PostCreated, CommentCreated, CommentModerated and CommentUpdated were applied.
    const allFour = before.querySeq + 4;
    const querySeqs = await settle(
      async () => (await scrape('query')).map((s) => valueOf(s, 'sdk_last_applied_seq')),
      (seqs) => seqs.every((seq) => seq >= allFour),
      30_000,
    );
    expect(querySeqs.every((seq) => seq >= allFour)).toBe(true);
    const model = (await (await fetch(ingress('/posts'))).json()) as ReadModel;
    expect(model[id].comments.map((c) => c.status)).toEqual(['approved']);

    expect(await total('query', 'sdk_events_applied_total', { type: 'CommentCreated' })).toBe(before.queryComments + sys.pods('query').length);
    expect(await total('moderation', 'sdk_events_applied_total', { type: 'CommentCreated' })).toBe(before.moderated + sys.pods('moderation').length);
    expect(await total('posts', 'http_request_duration_seconds_count', { method: 'POST', route: '/posts/create', status: '201' })).toBe(before.postPosts + 1);
    expect(await total('comments', 'http_request_duration_seconds_count', { method: 'POST', route: '/posts/:id/comments', status: '201' })).toBe(
      before.commentPosts + 1,
    );
    // CommentCreated, and CommentUpdated once the verdict came; moderation published the verdict.
    expect(await total('comments', 'sdk_publish_duration_seconds_count')).toBeGreaterThanOrEqual(before.commentPublishes + 2);
    expect(await total('moderation', 'sdk_publish_duration_seconds_count')).toBeGreaterThanOrEqual(before.verdicts + 1);
    // The route's template is the label, never the URL: the post's id names no series.
    for (const scraped of await scrape('comments')) expect(scraped.samples.filter((s) => s.labels.route?.includes(id))).toEqual([]);

    if (!nats) {
      expect(await total('event-bus', 'bus_events_appended_total')).toBe(before.appended + 4);
      const head = await total('event-bus', 'bus_log_head');
      expect(head).toBe(before.head + 4);
      expect(Math.min(...querySeqs)).toBe(head);
      // Every subscriber took all of it: its cursor is the head, nothing is left behind.
      const bus = await settle(
        () => scrapePod('event-bus', 0),
        (s) => s.samples.filter((x) => x.name === 'bus_subscriber_backlog').every((x) => x.value === 0),
      );
      const cursors = bus.samples.filter((s) => s.name === 'bus_subscriber_cursor');
      // One per subscriber URL (loopback addresses here).
      expect(new Set(cursors.map((s) => s.labels.subscriber)).size).toBe(4);
      expect(cursors.map((s) => s.value)).toEqual([head, head, head, head]);
      expect(bus.samples.filter((s) => s.name === 'bus_subscriber_seconds_since_error').map((s) => s.value)).toEqual([-1, -1, -1, -1]);
      // The services learn the head with each delivery.
      for (const scraped of await scrape('query')) expect(valueOf(scraped, 'sdk_lag_events')).toBe(0);
    } else {
      // No bus: each service's own consumer is its subscriber, under the bus's metric names.
      for (const name of ['posts', 'comments', 'query', 'moderation'] as const) {
        for (const replica of sys.pods(name).keys()) {
          const scraped = await settle(
            () => scrapePod(name, replica),
            (s) => valueOf(s, 'bus_subscriber_backlog') === 0 && valueOf(s, 'bus_subscriber_cursor') === valueOf(s, 'sdk_last_applied_seq'),
          );
          const cursor = scraped.samples.find((s) => s.name === 'bus_subscriber_cursor');
          expect(cursor?.labels.subscriber).toBe(name);
          expect(cursor?.value).toBe(valueOf(scraped, 'sdk_last_applied_seq'));
          expect(cursor!.value).toBeGreaterThanOrEqual(allFour);
          expect(valueOf(scraped, 'bus_subscriber_backlog')).toBe(0);
          expect(valueOf(scraped, 'sdk_lag_events')).toBe(0);
        }
      }
    }
  });

  it('is never answered through the ingress, whatever the request asks for', async () => {
    for (const accept of ['text/plain;version=0.0.4', 'text/html', '*/*']) {
      const res = await fetch(ingress('/metrics'), { headers: { accept } });
      const body = await res.text();
      expect([accept, res.headers.get('content-type')]).not.toEqual([accept, expect.stringMatching(/version=0\.0\.4/)]);
      expect(body).not.toMatch(/^# (TYPE|HELP) /m);
      expect(body).not.toMatch(/^(process|nodejs|http_request|bus|sdk)_\w+(\{[^}]*\})? \S+$/m);
    }
    // The client's catch-all counted it under its route's template, never as the URL asked.
    for (const scraped of await scrape('client')) expect(scraped.samples.filter((s) => s.labels.route === '/metrics')).toEqual([]);
  });
});
