/**
 * CSV for spreadsheets and pipelines. Pure: rows in, text out.
 *
 * - RFC 4180 (https://www.rfc-editor.org/rfc/rfc4180#section-2): records end with CRLF; a field
 *   holding a comma, a double quote, CR or LF is enclosed in double quotes, and a double quote
 *   inside it is doubled.
 * - Formula injection (OWASP "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection):
 *   a spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, tab or CR as a formula. Fleet
 *   text is not ours (cluster names, tags, policy names come from whoever owns the subscription), so
 *   such a cell is prefixed with a single quote, which spreadsheets show as text, and then quoted.
 */

/** First characters that make a spreadsheet read a cell as a formula (OWASP's list). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell, neutralised and quoted as RFC 4180 requires. */
export function csvCell(value: string | number | boolean | undefined): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) || text !== value ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A header line and one line per row, each ending with CRLF. */
export function toCsv<Row>(
  columns: ReadonlyArray<{ header: string; value: (row: Row) => string | number | boolean | undefined }>,
  rows: readonly Row[],
): string {
  const line = (cells: ReadonlyArray<string | number | boolean | undefined>) => `${cells.map(csvCell).join(',')}\r\n`;
  return line(columns.map((column) => column.header)) + rows.map((row) => line(columns.map((column) => column.value(row)))).join('');
}
