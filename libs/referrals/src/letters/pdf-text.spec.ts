import { pdfFonts } from './pdf-fonts';
import { humanize, losesCharacters, printable } from './pdf-text';

let covers: (codePoint: number) => boolean;
beforeAll(async () => {
  ({ covers } = await pdfFonts());
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

describe('humanize', () => {
  it('reads a vocabulary code', () => {
    expect(humanize('calf_swelling_redness')).toBe('Calf swelling redness');
  });
});
