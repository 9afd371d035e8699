import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { createServiceApp, HttpError, publicJson, z } from '../src';

const lines: Array<Record<string, unknown>> = [];
const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });

function app(ready = true) {
  const internal = express.Router().post('/events', (_req, res) => void res.json({ ack: 1 }));
  const routes = express
    .Router()
    .post('/things', publicJson(), (req, res) => {
      const { name } = z.strictObject({ name: z.string().min(1) }).parse(req.body);
      res.status(201).json({ name, requestId: req.id });
    })
    .get('/teapot', () => {
      throw new HttpError(418, 'teapot', 'I am a teapot.');
    })
    .get('/exposed', () => {
      throw Object.assign(new Error('The thing is away.'), { answerable: true, status: 503, code: 'away' });
    })
    .get('/file', () => {
      throw Object.assign(new Error("ENOENT: no such file or directory, stat '/srv/app/secret'"), { status: 404, expose: false });
    })
    .get('/half', (_req, res, next) => {
      res.writeHead(200, { 'content-type': 'application/json' }).write('[1,');
      next(new Error('failed half way'));
    })
    .get('/parser', () => {
      // What body-parser makes of a broken gzip body: meant for the caller, but its code is zlib's.
      throw Object.assign(new Error('incorrect header check'), { expose: true, status: 400, code: 'Z_DATA_ERROR' });
    })
    .get('/bug', () => {
      throw Object.assign(new Error('secret detail'), { status: 503, code: 'not_meant_for_callers' });
    });
  return createServiceApp({ logger, isReady: () => ready, internal: [internal], routes: [routes] });
}

describe('createServiceApp', () => {
  beforeEach(() => (lines.length = 0));

  it('answers health and readiness', async () => {
    expect((await request(app()).get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await request(app(false)).get('/readyz')).status).toBe(503);
    expect((await request(app(true)).get('/readyz')).body).toEqual({ status: 'ready' });
  });

  it('serves internal traffic before the request log, and logs the routes with their request id', async () => {
    await request(app()).post('/events').send({});
    expect(lines).toEqual([]);
    const res = await request(app()).post('/things').set('x-request-id', 'req-1').send({ name: 'a' });
    expect(res.body).toEqual({ name: 'a', requestId: 'req-1' });
    expect(res.headers['x-request-id']).toBe('req-1');
    expect(lines).toEqual([expect.objectContaining({ reqId: 'req-1', status: 201, msg: 'request completed' })]);
  });

  it('answers every error as JSON in one place', async () => {
    const a = app();
    expect((await request(a).post('/things').send({ name: '' })).body.error.code).toBe('invalid_request');
    expect((await request(a).post('/things').set('content-type', 'application/json').send('{')).body.error.code).toBe('malformed_json');
    expect(
      (
        await request(a)
          .post('/things')
          .send({ name: 'x'.repeat(70_000) })
      ).status,
    ).toBe(413);
    expect((await request(a).get('/teapot')).body).toEqual({ error: { code: 'teapot', message: 'I am a teapot.' } });
    expect((await request(a).get('/parser')).body).toEqual({ error: { code: 'bad_request', message: 'incorrect header check' } });
    expect((await request(a).get('/exposed')).body).toEqual({ error: { code: 'away', message: 'The thing is away.' } });
    const bug = await request(a).get('/bug');
    expect(bug.body).toEqual({ error: { code: 'internal', message: 'Something went wrong on our side.' } }); // nothing unmeant leaks
    expect((await request(a).get('/nowhere')).body.error.code).toBe('not_found');
    expect((await request(a).get('/file')).body).toEqual({ error: { code: 'not_found', message: 'Not found.' } }); // no path leaks
  });

  it('cuts a half-sent answer rather than leave it hanging', async () => {
    await expect(request(app()).get('/half')).rejects.toThrow();
  });
});
