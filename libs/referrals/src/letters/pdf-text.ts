/**
 * Text for the PDF standard-14 fonts, which pdfkit writes in WinAnsi (Windows-1252): Latin-1
 * ("José Núñez", "Zoë", "Müller") and the cp1252 punctuation print as they are. Anything else is
 * printed as its nearest Latin letter when it has one ("ő" → "o", "ș" → "s", "Ł" → "L") and as
 * "?" otherwise (Greek, Cyrillic, CJK, Arabic, Hebrew, emoji), so a name never turns into other,
 * wrong letters.
 */
const CP1252_EXTRAS = '€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ';
const LATIN_LOOKALIKES: Record<string, string> = { Ł: 'L', ł: 'l', Đ: 'D', đ: 'd', ı: 'i', Ħ: 'H', ħ: 'h', ŀ: 'l', Ŀ: 'L' };

function isWinAnsi(char: string): boolean {
  const code = char.codePointAt(0) as number;
  if (code === 0x0a) return true;
  if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return false;
  return code <= 0xff || CP1252_EXTRAS.includes(char);
}

export function winAnsi(text: string): string {
  let out = '';
  for (const char of text.normalize('NFC').replace(/\r\n?/g, '\n').replace(/\t/g, ' ')) {
    if (isWinAnsi(char)) out += char;
    else if (LATIN_LOOKALIKES[char]) out += LATIN_LOOKALIKES[char];
    else {
      const base = char.normalize('NFD').replace(/\p{M}/gu, '');
      out += base.length > 0 && [...base].every(isWinAnsi) ? base : '?';
    }
  }
  return out;
}

/** `shoulder_left` → "Shoulder left": the codes of the curated vocabularies, readable. */
export function humanize(code: string): string {
  const text = code.replace(/[_-]+/g, ' ').trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Whether {@link winAnsi} prints `text` with a character it has no letter for ("?" where the text has none). */
export function losesCharacters(text: string): boolean {
  const questionMarks = (value: string) => value.split('?').length - 1;
  return questionMarks(winAnsi(text)) > questionMarks(text);
}
