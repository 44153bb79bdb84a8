import { pdfFontsFor } from './pdf-fonts';
import { breakLongWords, humanize, losesCharacters, printable, winAnsiCovers } from './pdf-text';

let covers: (codePoint: number) => boolean;
beforeAll(async () => {
  // A letter outside Windows-1252 gets the embedded fonts.
  ({ covers } = await pdfFontsFor('Ζ'));
});

describe('printable', () => {
  it('keeps Latin with every accent, Greek and Cyrillic as they are', () => {
    const text = 'José Núñez, Łukasz Wałęsa, Ștefan Kőrösi, Nguyễn Thị Minh, Ζωή Παπαδοπούλου, Жанна Иванова — “€5” …';
    expect(printable(text, covers)).toBe(text);
    expect(losesCharacters(text, covers)).toBe(false);
  });

  it('composes a letter and its accent the font has as one character', () => {
    expect(printable('Jose\u0301', covers)).toBe('José');
  });

  it('prints scripts the fonts cannot show as "?" rather than wrong letters or boxes, and says so', () => {
    expect(printable('中文 🙂 שלום', covers)).toBe('?? ? ????');
    expect(losesCharacters('中文', covers)).toBe(true);
    expect(losesCharacters('Why?', covers)).toBe(false);
  });

  it('keeps line breaks, drops carriage returns and control characters', () => {
    expect(printable('one\r\ntwo\tthree\u0007', covers)).toBe('one\ntwo three?');
  });
});

describe('the fonts of a document', () => {
  it('are the standard ones while every character is Windows-1252, Noto Sans once one is not', async () => {
    const latin1 = 'José Núñez, Zoë Müller — “Ærø” … €5';
    expect([...latin1].every((char) => winAnsiCovers(char.codePointAt(0)!))).toBe(true);
    expect((await pdfFontsFor(latin1)).regular).toBe('Helvetica');
    for (const other of ['Łukasz', 'Nguyễn', 'Ζωή', '中']) expect(Buffer.isBuffer((await pdfFontsFor(other)).regular)).toBe(true);
  });
});

describe('breakLongWords', () => {
  it('cuts a run of more than 60 characters without a space into lines of 60, and leaves words alone', () => {
    const run = 'W'.repeat(130);
    expect(breakLongWords(`see ${run} here`)).toBe(`see ${'W'.repeat(60)}\n${'W'.repeat(60)}\n${'W'.repeat(10)} here`);
    expect(breakLongWords('Ordinary text, with words of any usual length.')).toBe(
      'Ordinary text, with words of any usual length.',
    );
    // Characters, not UTF-16 units: an emoji is never cut in half.
    expect(
      breakLongWords('🙂'.repeat(61))
        .split('\n')
        .map((line) => [...line].length),
    ).toEqual([60, 1]);
  });
});

describe('humanize', () => {
  it('reads a vocabulary code', () => {
    expect(humanize('calf_swelling_redness')).toBe('Calf swelling redness');
  });
});
