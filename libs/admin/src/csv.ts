/**
 * CSV formatting (RFC 4180) for exports that clinics open in spreadsheets.
 *
 * - Records end with CRLF; fields are separated by commas.
 * - A field containing a comma, a double quote, CR or LF is enclosed in double quotes, and every
 *   double quote inside it is doubled. So is one with a semicolon or a tab: spreadsheets set to a
 *   locale whose list separator is `;` (most of Europe) split a bare field there, and a formula
 *   after the `;` would start a cell of its own.
 * - Formula injection (CWE-1236): a spreadsheet runs a cell starting with `=`, `+`, `-` or `@` (and
 *   some also a leading tab or CR) as a formula, so such a cell gets a leading apostrophe and is
 *   shown as text. Text that came from users (names, reasons, outcomes) must never run as code.
 */
export type CsvValue = string | number | boolean | Date | null | undefined | readonly string[];

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",;\t\r\n]/;
/** Separator for list cells (body regions, red flags): not a CSV delimiter, so lists stay one cell. */
export const CSV_LIST_SEPARATOR = '; ';

/** The text of one cell before quoting: null/undefined are empty, dates are ISO 8601 UTC, lists are joined. */
function cellText(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.join(CSV_LIST_SEPARATOR);
  return String(value);
}

/** One field, neutralised against formula injection and quoted when RFC 4180 requires it. */
export function csvCell(value: CsvValue): string {
  let text = cellText(value);
  // Numbers and booleans we produce ourselves are data, not user text: a negative number stays a number.
  if (typeof value === 'string' || Array.isArray(value)) {
    if (FORMULA_START.test(text)) text = `'${text}`;
  }
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One record, CRLF-terminated. */
export function csvRow(values: readonly CsvValue[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
