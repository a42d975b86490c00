/**
 * Quoting for the shell commands we suggest (`az ...`, `kubectl ...`) in finding details, alerts
 * and the report. Every value from fleet data or an event goes through {@link shellWord}, so a
 * copied command runs exactly the words it shows, whatever the name holds.
 */

/** Characters that mean nothing to a POSIX shell: such a word is left as it is, for readability. */
const PLAIN_WORD = /^[A-Za-z0-9._\-/:]+$/;

/**
 * C0 and C1 controls, DEL and the Unicode line and paragraph separators. No Azure name holds one
 * (Learn, "Naming rules and restrictions for Azure resources"), so the command would fail anyway;
 * shown raw, one could end the line the hint sits on or redraw the terminal it is pasted from.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * One shell word for `value`: as it is when plainly safe (ARM ids, GUIDs, versions), otherwise
 * single-quoted, with each `'` written as `'\''`. Inside single quotes a POSIX shell expands
 * nothing (`$(...)`, backticks, `;`, `&`, `|`, `*`, newlines are literal), so no value can end the
 * word or start a command. Control characters are shown as `?`.
 */
export function shellWord(value: string): string {
  const visible = value.replace(CONTROL, '?');
  return PLAIN_WORD.test(visible) ? visible : `'${visible.replace(/'/g, `'\\''`)}'`;
}
