// What the public edge takes: small JSON bodies, clean text, and keys that make a retry safe.
import { createHash, randomUUID } from 'node:crypto';
import express, { type Request } from 'express';
import { z } from 'zod';
import { HttpError } from './errors';

/**
 * User text: trimmed, well-formed Unicode (no lone surrogates), between 1 and `max` characters,
 * without control or bidirectional formatting characters. `multiline` text (comments) may also
 * hold tabs and line breaks; a CRLF is stored as LF, and a lone CR is refused.
 */
export const text = (max: number, { multiline = false } = {}) =>
  z
    .string()
    .superRefine((s, ctx) => {
      const problem = firstRefusedCharacter(s, multiline);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .overwrite((s) => (multiline ? s.replace(/\r\n/g, '\n') : s))
    .trim()
    .min(1)
    .max(max)
    .refine((s) => s.isWellFormed(), 'must be well-formed Unicode text');

/**
 * The first character user text may not hold, with its position in the text as sent, counted in
 * characters (code points). Surrounding whitespace is trimmed, not refused.
 */
function firstRefusedCharacter(s: string, multiline: boolean): string | undefined {
  const chars = Array.from(s.trim());
  const leading = s.length - s.trimStart().length; // whitespace is all in the BMP: units are characters here
  for (const [i, char] of chars.entries()) {
    if (multiline && char === '\r' && chars[i + 1] === '\n') continue;
    const code = char.codePointAt(0) ?? 0;
    const kind = refusedKind(code, multiline);
    if (kind) return `character ${leading + i + 1} is U+${code.toString(16).toUpperCase().padStart(4, '0')} (${kind}), which is not allowed`;
  }
  return undefined;
}

/** What a refused character is: control characters can hide or garble text, bidi controls make it read differently than it is. */
function refusedKind(code: number, multiline: boolean): string | undefined {
  if (multiline && (code === 0x09 || code === 0x0a)) return undefined;
  if (code === 0x09) return 'a tab';
  if (code === 0x0a) return 'a line break';
  if (code === 0x0d) return 'a carriage return';
  if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return 'a control character';
  if (code === 0x202d || code === 0x202e) return 'a bidirectional override';
  if (code >= 0x202a && code <= 0x202c) return 'a bidirectional embedding';
  if (code >= 0x2066 && code <= 0x2069) return 'a bidirectional isolate';
  return undefined;
}

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
