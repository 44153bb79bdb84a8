/**
 * Text as the PDF's fonts can print it (./pdf-fonts.ts). A character they have no glyph for prints
 * as its letter without the accent when they have that, and as "?" otherwise, so a name never
 * turns into other, wrong letters or empty boxes. Line breaks are kept; other control characters
 * print as "?".
 */
export type Coverage = (codePoint: number) => boolean;

const CP1252_EXTRAS = new Set([...'€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ'].map((char) => char.codePointAt(0) as number));

/** What the PDF standard fonts print (pdfkit writes them in Windows-1252): Latin-1 and cp1252's extras. */
export const winAnsiCovers: Coverage = (code) =>
  (code >= 0x20 && code < 0x7f) || (code >= 0xa0 && code <= 0xff) || CP1252_EXTRAS.has(code);

function printableChar(char: string, covers: Coverage): boolean {
  const code = char.codePointAt(0) as number;
  if (code === 0x0a) return true;
  if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return false;
  return covers(code);
}

export function printable(text: string, covers: Coverage): string {
  let out = '';
  for (const char of text.normalize('NFC').replace(/\r\n?/g, '\n').replace(/\t/g, ' ')) {
    if (printableChar(char, covers)) out += char;
    else {
      const base = char.normalize('NFD').replace(/\p{M}/gu, '');
      out += base.length > 0 && [...base].every((c) => printableChar(c, covers)) ? base : '?';
    }
  }
  return out;
}

/** Whether {@link printable} prints `text` with a character it has no letter for ("?" where the text has none). */
export function losesCharacters(text: string, covers: Coverage): boolean {
  const questionMarks = (value: string) => value.split('?').length - 1;
  return questionMarks(printable(text, covers)) > questionMarks(text);
}

/** Longer than any word: a run of this many characters without a space is cut into lines of it. */
const LONGEST_WORD = 60;
const LONG_RUN = new RegExp(`\\S{${LONGEST_WORD + 1},}`, 'gu');

/**
 * Text with every run of more than LONGEST_WORD characters without a space cut into lines: pdfkit
 * wraps a word wider than the line by measuring it again for every line, which for a 10,000-letter
 * "word" took seconds of the process's only thread (20 s for an outcome report).
 */
export function breakLongWords(text: string): string {
  return text.replace(LONG_RUN, (run) => {
    const chars = [...run];
    const lines: string[] = [];
    for (let i = 0; i < chars.length; i += LONGEST_WORD) lines.push(chars.slice(i, i + LONGEST_WORD).join(''));
    return lines.join('\n');
  });
}

/** `shoulder_left` → "Shoulder left": the codes of the curated vocabularies, readable. */
export function humanize(code: string): string {
  const text = code.replace(/[_-]+/g, ' ').trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}
