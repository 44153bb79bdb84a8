/**
 * Text as the PDF's fonts can print it (./pdf-fonts.ts). A character they have no glyph for prints
 * as its letter without the accent when they have that, and as "?" otherwise, so a name never
 * turns into other, wrong letters or empty boxes. Line breaks are kept; other control characters
 * print as "?".
 */
export type Coverage = (codePoint: number) => boolean;

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

/** `shoulder_left` → "Shoulder left": the codes of the curated vocabularies, readable. */
export function humanize(code: string): string {
  const text = code.replace(/[_-]+/g, ' ').trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}
