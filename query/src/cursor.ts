// Opaque page cursors: base64url of `<kind>:<seq>`, the log seq of the last item a page showed.
// A seq only grows, so a cursor keeps its place while new posts and comments arrive.

export type CursorKind = 'post' | 'comment';

export const encodeCursor = (kind: CursorKind, seq: number): string => Buffer.from(`${kind}:${seq}`).toString('base64url');

/** The seq a cursor of this kind holds; undefined for anything this service did not hand out. */
export function decodeCursor(kind: CursorKind, cursor: string): number | undefined {
  const match = /^([a-z]+):([1-9][0-9]{0,15})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1'));
  if (!match || match[1] !== kind) return undefined;
  const seq = Number(match[2]);
  // Base64 decoding is lenient: only the one spelling it was handed out as is taken.
  return Number.isSafeInteger(seq) && encodeCursor(kind, seq) === cursor ? seq : undefined;
}
