// What the public edge takes: small JSON bodies, clean text, and keys that make a retry safe.
import { createHash, randomUUID } from 'node:crypto';
import express, { type Request } from 'express';
import { z } from 'zod';
import { HttpError } from './errors';

/** User text: trimmed, well-formed Unicode (no lone surrogates), between 1 and `max` characters. */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => s.isWellFormed(), 'must be well-formed Unicode text');

/** JSON bodies for public routes: small, objects only. */
export const publicJson = (limit = '64kb') => express.json({ limit, strict: true });

const idempotencyKey = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII');

/**
 * The id of a resource a request creates. With an `Idempotency-Key` header it is derived
 * from the key, so a write retried after an unclear failure (a timeout, a 502) lands on the
 * same event id and the bus stores it once; without one it is random.
 */
export function newResourceId(req: Request, scope: string): string {
  const key = req.get('idempotency-key');
  if (key === undefined) return randomUUID();
  const parsed = idempotencyKey.safeParse(key);
  if (!parsed.success) throw new HttpError(400, 'invalid_request', `Idempotency-Key ${parsed.error.issues[0].message}`);
  const hex = createHash('sha256').update(`${scope}\n${parsed.data}`).digest('hex');
  // Shaped as a UUID (version 8, "custom") so every id looks alike.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
