import { text } from '../src/edge';
import { REFUSED_IN_ANY_TEXT, REFUSED_IN_ONE_LINE, until } from '../src/testing';

describe('until', () => {
  it('returns the first truthy value, polling an async check as well', async () => {
    let calls = 0;
    await expect(until('the third call', async () => ++calls >= 3 && calls, 1000, 1)).resolves.toBe(3);
  });

  it('throws after its timeout, naming what it waited for', async () => {
    await expect(until('nothing', () => false, 30, 5)).rejects.toThrow('timed out waiting for nothing');
  });
});

describe('the refused texts', () => {
  const oneLine = text(200);
  const anyText = text(1000, { multiline: true });
  const problemOf = (schema: ReturnType<typeof text>, input: string) =>
    schema
      .safeParse(input)
      .error?.issues.map((i) => i.message)
      .join('; ');

  it.each(REFUSED_IN_ANY_TEXT)('%s is refused by every text, as the table says', (_what, input, problem) => {
    expect(problemOf(oneLine, input)).toBe(`${problem}, which is not allowed`);
    expect(problemOf(anyText, input)).toBe(`${problem}, which is not allowed`);
  });

  it.each(REFUSED_IN_ONE_LINE.filter((c) => !REFUSED_IN_ANY_TEXT.includes(c)))('%s is refused by a one-line text only', (_what, input, problem) => {
    expect(problemOf(oneLine, input)).toBe(`${problem}, which is not allowed`);
    expect(problemOf(anyText, input)).toBeUndefined();
  });
});
