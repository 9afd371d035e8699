/** @jest-environment node */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../src/server/app';

const INDEX_HTML = '<!doctype html><title>posts.com</title><div id="root"></div>';
let staticDir: string;

beforeAll(() => {
  staticDir = mkdtempSync(path.join(tmpdir(), 'client-static-'));
  mkdirSync(path.join(staticDir, 'assets'));
  writeFileSync(path.join(staticDir, 'index.html'), INDEX_HTML);
  writeFileSync(path.join(staticDir, 'assets', 'index-AbC123.js'), 'console.log("app")');
  writeFileSync(path.join(staticDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
});

afterAll(() => {
  rmSync(staticDir, { recursive: true, force: true });
});

const silent = pino({ level: 'silent' });
const app = () => createApp({ staticDir, logger: silent });

describe('static files', () => {
  it('serves index.html at / and asks the browser to revalidate it', async () => {
    const res = await request(app()).get('/').set('Accept', 'text/html');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toBe(INDEX_HTML);
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('lets hashed assets be cached for a year as immutable', async () => {
    const res = await request(app()).get('/assets/index-AbC123.js');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('revalidates unhashed files outside assets/', async () => {
    const res = await request(app()).get('/favicon.svg');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-cache');
  });
});

describe('SPA fallback', () => {
  it('answers index.html to a browser asking for a client-side route', async () => {
    const res = await request(app()).get('/posts/some-id').set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8');
    expect(res.status).toBe(200);
    expect(res.text).toBe(INDEX_HTML);
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('answers a JSON 404 to a request that does not ask for HTML', async () => {
    const res = await request(app()).get('/posts/some-id').set('Accept', 'application/json');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('answers a JSON 404 to a missing asset even from a browser, never HTML in place of a script', async () => {
    const res = await request(app()).get('/assets/index-Old999.js').set('Accept', 'text/html');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/application\/json/);
  });

  it('answers a JSON 404 to other methods', async () => {
    const res = await request(app()).post('/posts/create').set('Accept', 'text/html').send({ title: 'x' });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('health', () => {
  it('is alive', async () => {
    const res = await request(app()).get('/healthz');
    expect(res.status).toBe(200);
  });

  it('is ready when the built index.html is there', async () => {
    const res = await request(app()).get('/readyz');
    expect(res.status).toBe(200);
  });

  it('is not ready without a build, and a page request there answers a JSON error', async () => {
    const emptyDir = mkdtempSync(path.join(tmpdir(), 'client-empty-'));
    try {
      const unbuilt = createApp({ staticDir: emptyDir, logger: silent });
      const ready = await request(unbuilt).get('/readyz');
      expect(ready.status).toBe(503);
      const page = await request(unbuilt).get('/').set('Accept', 'text/html');
      expect(page.status).toBe(503);
      expect(page.body.error).toEqual({ code: 'not_ready', message: expect.any(String) });
      expect(page.text).not.toContain(emptyDir);
    } finally {
      rmSync(emptyDir, { recursive: true, force: true });
    }
  });
});

describe('security headers', () => {
  it.each(['/', '/assets/index-AbC123.js', '/healthz', '/nothing-here'])('are set on %s', async (url) => {
    const res = await request(app()).get(url);
    const csp = res.headers['content-security-policy'];
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});

describe('request log', () => {
  it('writes one line per request, at a level by status, and none for health probes', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const logged = createApp({ staticDir, logger });
    await request(logged).get('/').set('Accept', 'text/html');
    await request(logged).get('/nothing-here');
    await request(logged).get('/healthz');
    await request(logged).get('/readyz');
    // pino's levels: 30 info, 40 warn.
    expect(lines.map(({ level, url, status }) => ({ level, url, status }))).toEqual([
      { level: 30, url: '/', status: 200 },
      { level: 40, url: '/nothing-here', status: 404 },
    ]);
  });
});

describe('request ids', () => {
  it("keeps the ingress's id and replaces one too long to be an id", async () => {
    const kept = await request(app()).get('/healthz').set('X-Request-Id', 'abc-123');
    expect(kept.headers['x-request-id']).toBe('abc-123');
    const replaced = await request(app()).get('/healthz').set('X-Request-Id', 'x'.repeat(129));
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});
