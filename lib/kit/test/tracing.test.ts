// startTracing in a process of its own, as a service runs it first: off, it loads no part of the SDK; on, http is
// instrumented by the time the service loads it; a bad endpoint stops the start, naming the variable.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** Runs startTracing, then loads http, in a fresh node with `env`; answers what it printed and how it exited. */
function startIn(env: NodeJS.ProcessEnv) {
  const script = `
    require(${JSON.stringify(path.join(__dirname, '../src/tracing'))}).startTracing('demo');
    const http = require('node:http');
    const sdkLoaded = Object.keys(require.cache).some((file) => file.includes('@opentelemetry'));
    console.log(JSON.stringify({ sdkLoaded, httpInstrumented: Boolean(http.request.__wrapped) }));
    process.exit(0);
  `;
  const run = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
    cwd: path.join(__dirname, '..'),
    env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: undefined, OTEL_SERVICE_NAME: undefined, ...env },
  });
  return { status: run.status, stderr: run.stderr, printed: run.status === 0 ? JSON.parse(run.stdout) : undefined };
}

it('loads nothing of OpenTelemetry while OTEL_EXPORTER_OTLP_ENDPOINT is unset', () => {
  expect(startIn({})).toEqual({ status: 0, stderr: '', printed: { sdkLoaded: false, httpInstrumented: false } });
});

it('instruments http before the service loads it once OTEL_EXPORTER_OTLP_ENDPOINT is set', () => {
  // Nothing listens on port 9: nothing is exported before the process exits anyway.
  expect(startIn({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }).printed).toEqual({ sdkLoaded: true, httpInstrumented: true });
});

it('exits 1 naming OTEL_EXPORTER_OTLP_ENDPOINT when it is not an http(s) URL', () => {
  const run = startIn({ OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' });
  expect(run.status).toBe(1);
  expect(run.stderr).toMatch(/^demo: invalid configuration\n {2}OTEL_EXPORTER_OTLP_ENDPOINT: /);
});
