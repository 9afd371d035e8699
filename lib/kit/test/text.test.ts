import { text } from '../src';

const title = text(200);
const comment = text(1000, { multiline: true });

/** The one message a refused text gets, or what it is stored as. */
function check(schema: ReturnType<typeof text>, input: string) {
  const parsed = schema.safeParse(input);
  return parsed.success ? { stored: parsed.data } : { refused: parsed.error.issues.map((i) => i.message).join('; ') };
}

const refused = (position: number, code: string, kind: string) => ({ refused: `character ${position} is U+${code} (${kind}), which is not allowed` });

describe('text: control and bidirectional formatting characters', () => {
  it.each([
    ['NUL', 'ab\u0000c', 3, '0000', 'a control character'],
    ['ESC', 'a\u001b[31mred', 2, '001B', 'a control character'],
    ['the last C0 control', 'a\u001f', 2, '001F', 'a control character'],
    ['a vertical tab inside', 'a\u000bb', 2, '000B', 'a control character'],
    ['DEL', 'abc\u007f', 4, '007F', 'a control character'],
    ['the first C1 control', '\u0080x', 1, '0080', 'a control character'],
    ['NEL', 'a\u0085b', 2, '0085', 'a control character'],
    ['the last C1 control', 'a\u009f', 2, '009F', 'a control character'],
    ['LRE', 'a\u202ab', 2, '202A', 'a bidirectional embedding'],
    ['RLE', 'a\u202bb', 2, '202B', 'a bidirectional embedding'],
    ['PDF', 'a\u202cb', 2, '202C', 'a bidirectional embedding'],
    ['LRO', 'a\u202db', 2, '202D', 'a bidirectional override'],
    ['RLO', 'Great post \u202Eevil', 12, '202E', 'a bidirectional override'],
    ['LRI', 'a\u2066b', 2, '2066', 'a bidirectional isolate'],
    ['RLI', 'a\u2067b', 2, '2067', 'a bidirectional isolate'],
    ['FSI', 'a\u2068b', 2, '2068', 'a bidirectional isolate'],
    ['PDI', 'a\u2069b', 2, '2069', 'a bidirectional isolate'],
    ['a lone CR', 'a\rb', 2, '000D', 'a carriage return'],
  ])('refuses %s in titles and comments, naming it and its position', (_name, input, position, code, kind) => {
    expect(check(title, input)).toEqual(refused(position, code, kind));
    expect(check(comment, input)).toEqual(refused(position, code, kind));
  });

  it('counts the position in characters, not UTF-16 units, from the start of the text as sent', () => {
    expect(check(title, '🎉🎉\u202E')).toEqual(refused(3, '202E', 'a bidirectional override'));
    expect(check(title, '  ab\u0000')).toEqual(refused(5, '0000', 'a control character'));
  });

  it('names the first refused character only', () => {
    expect(check(comment, 'a\u202Eb\u0000')).toEqual(refused(2, '202E', 'a bidirectional override'));
  });

  it('refuses tabs and line breaks inside a title', () => {
    expect(check(title, 'a\tb')).toEqual(refused(2, '0009', 'a tab'));
    expect(check(title, 'a\nb')).toEqual(refused(2, '000A', 'a line break'));
    expect(check(title, 'a\r\nb')).toEqual(refused(2, '000D', 'a carriage return'));
  });

  it('takes tabs and line breaks inside a comment, and stores a CRLF as LF', () => {
    expect(check(comment, 'a\tb\nc')).toEqual({ stored: 'a\tb\nc' });
    expect(check(comment, 'one\r\ntwo\r\n\r\nthree')).toEqual({ stored: 'one\ntwo\n\nthree' });
  });

  it('trims surrounding whitespace, tabs and line breaks included, rather than refusing them', () => {
    expect(check(title, ' \t\r\n Hello \n')).toEqual({ stored: 'Hello' });
    expect(check(comment, '\r\n Hello \r\n')).toEqual({ stored: 'Hello' });
  });

  it.each([
    ['emoji with ZWJ sequences, skin tones and flags', '🎉 👩‍👩‍👧‍👦 👍🏽 🏳️‍🌈'],
    ['accents, precomposed and combining', 'café crème e\u0301 n\u0303'],
    ['Arabic', 'مرحبا بالعالم'],
    ['Hebrew', 'שלום עולם'],
    ['the left-to-right and right-to-left marks', 'abc\u200E \u05e9\u200F'],
    ['the Arabic letter mark', 'a\u061Cب'],
    ['zero-width joiners and non-joiners', 'a\u200Cb\u200Dc'],
  ])('takes %s as they are', (_name, input) => {
    expect(check(title, input)).toEqual({ stored: input });
    expect(check(comment, input)).toEqual({ stored: input });
  });
});
