import http from 'node:http';

export interface Answer {
  /** 0 when there was no answer (refused, reset, timed out). */
  status: number;
  body: string;
}

/** With `Host: posts.com` (the ingress routes by it) and `body` as JSON. Never rejects: no answer is status 0. */
export function request(
  agent: http.Agent | false,
  base: URL,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 30_000,
  headers: http.OutgoingHttpHeaders = {},
): Promise<Answer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve) => {
    const req = http.request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method,
        path,
        headers: { host: 'posts.com', ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', () => resolve({ status: 0, body: '' }));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end(payload);
  });
}
