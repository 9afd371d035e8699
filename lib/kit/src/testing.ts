// What every test waits with, from @posts/kit/testing: services never poll, so this is not in the kit's index.
import { sleep } from './backoff';

export { sleep };

/** Polls `check` every `everyMs` until it gives a truthy value, and returns that; throws after `timeoutMs`, naming `what`. */
export async function until<T>(
  what: string,
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
  everyMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** [what, text, the problem named] for text no field takes: what a service's tests send to show it keeps the kit's `text` rule. */
export const REFUSED_IN_ANY_TEXT: ReadonlyArray<[string, string, string]> = [
  ['NUL', 'Hello\u0000', 'character 6 is U+0000 (a control character)'],
  ['ESC', 'Hi \u001b[31m', 'character 4 is U+001B (a control character)'],
  ['ESC starting a terminal command', 'a\u001b[2J', 'character 2 is U+001B (a control character)'],
  ['DEL', 'Hi\u007f', 'character 3 is U+007F (a control character)'],
  ['a C1 control', 'Hi\u0085', 'character 3 is U+0085 (a control character)'],
  ['another C1 control', 'a\u009b', 'character 2 is U+009B (a control character)'],
  ['a bidirectional embedding', 'a\u202Ab', 'character 2 is U+202A (a bidirectional embedding)'],
  ['a right-to-left embedding', 'a\u202Bb', 'character 2 is U+202B (a bidirectional embedding)'],
  ['a bidirectional override', '🎉 Great \u202Eevil', 'character 9 is U+202E (a bidirectional override)'],
  ['a bidirectional override after plain text', 'Great post \u202Eevil', 'character 12 is U+202E (a bidirectional override)'],
  ['a bidirectional isolate', 'a\u2066b', 'character 2 is U+2066 (a bidirectional isolate)'],
  ['a right-to-left isolate', 'a\u2067b', 'character 2 is U+2067 (a bidirectional isolate)'],
  ['the end of an isolate', 'a\u2069b', 'character 2 is U+2069 (a bidirectional isolate)'],
  ['a lone carriage return', 'a\rb', 'character 2 is U+000D (a carriage return)'],
];

/** And what a one-line text (a title) refuses besides: tabs and line breaks inside it. */
export const REFUSED_IN_ONE_LINE: ReadonlyArray<[string, string, string]> = [
  ...REFUSED_IN_ANY_TEXT,
  ['a tab inside', 'a\tb', 'character 2 is U+0009 (a tab)'],
  ['a line break inside', 'a\nb', 'character 2 is U+000A (a line break)'],
  ['a CRLF inside', 'a\r\nb', 'character 2 is U+000D (a carriage return)'],
];
