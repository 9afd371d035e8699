import { createModerator } from '../src/moderate';

describe('moderation rule', () => {
  const moderate = createModerator(['orange']);

  it.each(['orange', 'Orange!', 'I like ORANGE juice', 'orange-ish', '"orange"', 'é orange é'])('rejects %p', (content) => {
    expect(moderate(content)).toBe('rejected');
  });

  it.each(['Great post!', 'oranges', 'blood-oranges', 'orangeade', 'pomelo', 'naranja', 'éorange'])('approves %p', (content) => {
    expect(moderate(content)).toBe('approved');
  });

  it('takes a list of words, trimmed, and treats them as text, not patterns', () => {
    const strict = createModerator([' spam ', 'c++', '']);
    expect(strict('buy SPAM now')).toBe('rejected');
    expect(strict('I write c++ daily')).toBe('rejected');
    expect(strict('I write c daily')).toBe('approved');
    expect(createModerator([])('orange')).toBe('approved');
  });
});
