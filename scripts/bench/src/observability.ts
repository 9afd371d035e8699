/** The judged load with metrics off, on, and on with traces; the modes take turns so a busy minute falls on each alike. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SERVICE_NAMES, type System } from '@posts/runtime';
import { runE2E, type E2EResult } from './e2e';
import { httpGet } from './processes';

export const OBSERVABILITY_MODES = ['off', 'metrics', 'metrics and traces'] as const;
export type ObservabilityMode = (typeof OBSERVABILITY_MODES)[number];

/** The container port every pod serves /metrics on (the manifests' `metrics` port). */
export const METRICS_CONTAINER_PORT = 9464;
const SCRAPE_EVERY_MS = 5_000;

export interface ObservabilityResult {
  rounds: number;
  runs: Record<ObservabilityMode, E2EResult[]>;
  /** Scrapes of /metrics while metrics were on, and how many did not answer 200. */
  scrapes: number;
  scrapeErrors: number;
  spans: number;
}

/** Every process's /metrics, every 5 s, until stopped; counts what answered. */
function scrapeMetrics(system: System, tally: { scrapes: number; scrapeErrors: number }): () => Promise<void> {
  const ports = SERVICE_NAMES.flatMap((name) => system.pods(name).map((pod) => pod.ports[METRICS_CONTAINER_PORT])).filter((p) => p !== undefined);
  const scrapeAll = () =>
    Promise.all(
      ports.map(async (port) => {
        const { status } = await httpGet(port, '/metrics');
        tally.scrapes++;
        if (status !== 200) tally.scrapeErrors++;
      }),
    );
  let running = scrapeAll();
  const timer = setInterval(() => (running = running.then(scrapeAll)), SCRAPE_EVERY_MS);
  return async () => {
    clearInterval(timer);
    await running;
  };
}

/** An OTLP/HTTP receiver on loopback that takes spans (JSON), counts them and keeps nothing. */
async function startSpanSink(): Promise<{ url: string; spans: () => number; close: () => Promise<void> }> {
  let spans = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: unknown[] }> }> };
        for (const r of body.resourceSpans ?? []) for (const s of r.scopeSpans ?? []) spans += s.spans?.length ?? 0;
      } catch {
        // not JSON: counted as no spans
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans: () => spans,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export async function runObservability(o: { workDir: string; clients: number; posts: number; comments: number; rounds: number }): Promise<ObservabilityResult> {
  const sink = await startSpanSink();
  const result: ObservabilityResult = { rounds: o.rounds, runs: { off: [], metrics: [], 'metrics and traces': [] }, scrapes: 0, scrapeErrors: 0, spans: 0 };
  const scrape = (system: System) => scrapeMetrics(system, result);
  try {
    for (let round = 0; round < o.rounds; round++) {
      for (const mode of OBSERVABILITY_MODES) {
        const env: NodeJS.ProcessEnv =
          mode === 'off' ? { METRICS_PORT: undefined } : mode === 'metrics' ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_SERVICE_NAME: undefined };
        const run = await runE2E({ ...o, env, alongside: mode === 'off' ? undefined : scrape });
        result.runs[mode].push(run);
      }
    }
  } finally {
    result.spans = sink.spans();
    await sink.close();
  }
  return result;
}
