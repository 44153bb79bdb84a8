import { csvCell, csvRow } from './csv';

describe('csvCell', () => {
  it('leaves plain text alone', () => {
    expect(csvCell('Capitol Physio')).toBe('Capitol Physio');
    expect(csvCell('')).toBe('');
  });

  it('writes null and undefined as empty fields', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
  });

  it('quotes fields with a comma, a quote, CR or LF, doubling inner quotes (RFC 4180)', () => {
    expect(csvCell('Smith, Jones & Co')).toBe('"Smith, Jones & Co"');
    expect(csvCell('The "best" clinic')).toBe('"The ""best"" clinic"');
    expect(csvCell('line one\nline two')).toBe('"line one\nline two"');
    expect(csvCell('line one\r\nline two')).toBe('"line one\r\nline two"');
    expect(csvCell('"')).toBe('""""');
  });

  it.each([
    ['=HYPERLINK("http://evil.test","click")', `"'=HYPERLINK(""http://evil.test"",""click"")"`],
    ['+cmd|/C calc', "'+cmd|/C calc"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1:A2)', "'@SUM(A1:A2)"],
    ['\tTab', `"'\tTab"`],
    ['\rReturn', `"'\rReturn"`],
  ])('neutralises a formula-looking cell %j with a leading apostrophe', (input, expected) => {
    expect(csvCell(input)).toBe(expected);
  });

  it('only looks at the first character', () => {
    expect(csvCell('a=b')).toBe('a=b');
    expect(csvCell('x-ray')).toBe('x-ray');
  });

  it('writes dates as ISO 8601 UTC and numbers as they are', () => {
    expect(csvCell(new Date('2026-03-01T15:30:00.123Z'))).toBe('2026-03-01T15:30:00.123Z');
    expect(csvCell(42)).toBe('42');
    expect(csvCell(-1)).toBe('-1');
    expect(csvCell(true)).toBe('true');
  });

  it('quotes a field with a semicolon or a tab, which spreadsheets of some locales split at', () => {
    expect(csvCell("Smith;=cmd|' /C calc'!A0")).toBe('"Smith;=cmd|\' /C calc\'!A0"');
    expect(csvCell('a\tb')).toBe('"a\tb"');
  });

  it('joins a list into one cell and neutralises it as a whole', () => {
    expect(csvCell(['neck', 'upper_back'])).toBe('"neck; upper_back"');
    expect(csvCell(['=1+1', 'neck'])).toBe('"\'=1+1; neck"');
    expect(csvCell([])).toBe('');
  });
});

describe('csvRow', () => {
  it('joins cells with commas and ends the record with CRLF', () => {
    expect(csvRow(['a', 'b, c', null, 3])).toBe('a,"b, c",,3\r\n');
  });

  it('round-trips through a strict RFC 4180 reader', () => {
    const values = ['plain', 'with, comma', 'with "quote"', 'multi\nline', '=1+2', ''];
    expect(parseCsv(csvRow(values) + csvRow(['x']))).toEqual([
      ['plain', 'with, comma', 'with "quote"', 'multi\nline', "'=1+2", ''],
      ['x'],
    ]);
  });
});

/** A minimal strict RFC 4180 reader (CRLF records), for the round trip. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (ch === '"') {
        quoted = false;
        i += 1;
      } else {
        field += ch;
        i += 1;
      }
    } else if (ch === '"' && field === '') {
      quoted = true;
      i += 1;
    } else if (ch === ',') {
      row.push(field);
      field = '';
      i += 1;
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else {
      field += ch;
      i += 1;
    }
  }
  if (field !== '' || row.length) throw new Error('unterminated record');
  return rows;
}
