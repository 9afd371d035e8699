import crypto from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { UnauthorizedError } from '@posts/bus-client';
import { RequestSigner, SIGNATURE_HEADER, SIGNATURE_WINDOW_MS, SignatureGuard, type SignedParts } from '../src/signing';

const SECRET = 'a'.repeat(64);
const signer = new RequestSigner(SECRET);
const delivery: SignedParts = { method: 'POST', path: '/events', logId: 'PostCreated:p1', head: '7', body: Buffer.from('[{"seq":7}]') };
const NOW = 1_800_000_000_000;

describe('RequestSigner', () => {
  it('proves a request it signed, within the window either way', () => {
    const header = signer.sign(delivery, NOW);
    expect(header).toMatch(/^t=1800000000000,v1=[0-9a-f]{64}$/);
    for (const skew of [0, SIGNATURE_WINDOW_MS, -SIGNATURE_WINDOW_MS]) expect(signer.check(header, delivery, NOW + skew)).toBeUndefined();
    expect(new RequestSigner(SECRET).check(header, delivery, NOW)).toBeUndefined(); // another process with the same secret
  });

  it.each([
    ['no signature', undefined],
    ['an empty one', ''],
    ['one without its time', `v1=${'0'.repeat(64)}`],
    ['one with a short MAC', 't=1800000000000,v1=abcd'],
    ['one with upper-case hex', `t=1800000000000,v1=${'A'.repeat(64)}`],
    ['one with a second MAC', `t=1800000000000,v1=${'0'.repeat(64)},v1=${'0'.repeat(64)}`],
    ['the secret itself', SECRET],
  ])('refuses %s', (_what, header) => {
    expect(signer.check(header, delivery, NOW)).toMatch(/^(no signature|malformed signature)$/);
  });

  it('refuses a signature made outside the window, however right its MAC', () => {
    for (const skew of [SIGNATURE_WINDOW_MS + 1, -SIGNATURE_WINDOW_MS - 1, 3_600_000]) {
      expect(signer.check(signer.sign(delivery, NOW - skew), delivery, NOW)).toMatch(/outside the time window/);
    }
  });

  it.each<[string, Partial<SignedParts>]>([
    ['the method', { method: 'PUT' }],
    ['the path', { path: '/events/' }],
    ['the query string', { path: '/events?after=0' }],
    ['the log id', { logId: 'PostCreated:forged' }],
    ['the head', { head: '1007' }],
    ['a head taken away', { head: undefined }],
    ['one byte of the body', { body: Buffer.from('[{"seq":8}]') }],
    ['a byte added to the body', { body: Buffer.from('[{"seq":7}] ') }],
  ])('refuses a request whose %s changed after signing', (_what, change) => {
    expect(signer.check(signer.sign(delivery, NOW), { ...delivery, ...change }, NOW)).toBe('signature does not match');
  });

  it('refuses a signature whose time was changed, and one made with another secret', () => {
    const [, mac] = signer.sign(delivery, NOW).split(',');
    expect(signer.check(`t=${NOW + 1},${mac}`, delivery, NOW)).toBe('signature does not match');
    expect(signer.check(new RequestSigner('b'.repeat(64)).sign(delivery, NOW), delivery, NOW)).toBe('signature does not match');
  });

  it('compares MACs in constant time', () => {
    const compare = jest.spyOn(crypto, 'timingSafeEqual');
    try {
      signer.check(signer.sign(delivery, NOW), { ...delivery, head: '8' }, NOW);
      expect(compare).toHaveBeenCalledTimes(1);
      expect(compare.mock.calls[0].map((b) => (b as Buffer).length)).toEqual([32, 32]);
    } finally {
      compare.mockRestore();
    }
  });
});

describe('SignatureGuard on a plain node:http request', () => {
  const body = Buffer.from('{"type":"T","data":{}}');
  /** A request as node:http hands it over, without Express. */
  const request = (headers: Record<string, string>, url = '/events?x=1') =>
    ({ method: 'POST', url, headers, socket: { remoteAddress: '10.0.0.7' } }) as unknown as IncomingMessage;

  it('takes everything in open mode, checking nothing', () => {
    const guard = new SignatureGuard(undefined);
    const req = request({});
    expect([guard.admit(req), guard.verify(req, 0, body), guard.unauthorizedRequests]).toEqual([0, undefined, 0]);
  });

  it('admits a signed request from its headers, then checks the bytes against the path as sent', () => {
    const warnings: unknown[] = [];
    const guard = new SignatureGuard(signer, { warn: (fields: unknown) => void warnings.push(fields) });
    const req = request({ [SIGNATURE_HEADER]: signer.sign({ method: 'POST', path: '/events?x=1', body }) });
    const arrived = guard.admit(req);
    expect(arrived).toEqual(expect.any(Number));
    expect(guard.verify(req, arrived as number, body)).toBeUndefined();
    expect([guard.unauthorizedRequests, warnings]).toEqual([0, []]);
  });

  it('refuses at the headers or at the bytes, counting and logging each refusal once', () => {
    const warnings: unknown[] = [];
    const guard = new SignatureGuard(signer, { warn: (fields: unknown) => void warnings.push(fields) });
    const unsigned = guard.admit(request({}));
    expect(unsigned).toBeInstanceOf(UnauthorizedError);
    expect((unsigned as Error).message).toBe('Not signed with the bus secret: no signature.');
    const req = request({ [SIGNATURE_HEADER]: signer.sign({ method: 'POST', path: '/events', body }) });
    const forged = guard.verify(req, guard.admit(req) as number, body);
    expect(forged?.message).toBe('Not signed with the bus secret: signature does not match.');
    expect(guard.unauthorizedRequests).toBe(2);
    expect(warnings).toEqual([
      { from: '10.0.0.7', method: 'POST', path: '/events?x=1', reason: 'no signature' },
      { from: '10.0.0.7', method: 'POST', path: '/events?x=1', reason: 'signature does not match' },
    ]);
  });
});
