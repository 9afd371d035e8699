export type Verdict = 'approved' | 'rejected';

/** Rejects content holding a banned word: as a whole word (letters, digits), any case. */
export function createModerator(bannedWords: string[]) {
  const words = bannedWords.map((w) => w.trim()).filter(Boolean);
  if (words.length === 0) return (_content: string): Verdict => 'approved';
  const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const banned = new RegExp(`(?<![\\p{L}\\p{N}_])(?:${escaped.join('|')})(?![\\p{L}\\p{N}_])`, 'iu');
  return (content: string): Verdict => (banned.test(content) ? 'rejected' : 'approved');
}
