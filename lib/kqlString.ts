/** KQL literals, shared by the detections (Log Analytics) and the Resource Graph queries of lib/azure. */

/**
 * A KQL string literal for any text (names, ids, tags). Uses the double-quoted form with every
 * backslash, quote and control character escaped, so no input can end the literal early.
 */
export function kqlString(value: string): string {
  let escaped = '';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\') escaped += '\\\\';
    else if (char === '"') escaped += '\\"';
    else if (char === '\n') escaped += '\\n';
    else if (char === '\r') escaped += '\\r';
    else if (char === '\t') escaped += '\\t';
    else if (code < 0x20 || code === 0x7f) escaped += `\\u${code.toString(16).padStart(4, '0')}`;
    else escaped += char;
  }
  return `"${escaped}"`;
}
