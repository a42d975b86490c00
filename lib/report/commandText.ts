/**
 * The `az` and `kubectl` commands inside a finding's "what to change" text, set apart so the report
 * can show them as code. The rules write their advice as prose with commands inline ("Run: az aks
 * update -g web -n web-dev --disable-local-accounts", "(kubectl logs --previous)", "…; kubectl
 * --context x edit …"); this splits that text into prose and command pieces without changing a
 * character: joining the pieces gives the text back. Pure. The words are read the way a POSIX shell
 * splits them (single and double quotes, backslash escapes), so a quoted argument with spaces or a
 * `;` (the OData filters lib/shellWord.ts quotes) stays inside its command.
 */

/** A run of the text: prose, or one command as the reader would paste it. */
export interface TextPiece {
  kind: 'text' | 'command';
  text: string;
}

/** The end of the word starting at `start` (a quote runs to its closing quote). */
function wordEnd(text: string, start: number): number {
  let index = start;
  while (index < text.length && !/\s/.test(text[index] ?? '')) {
    const char = text[index];
    if (char === "'") {
      const close = text.indexOf("'", index + 1);
      index = close < 0 ? text.length : close + 1;
    } else if (char === '"') {
      let close = index + 1;
      while (close < text.length && text[close] !== '"') close += text[close] === '\\' ? 2 : 1;
      index = Math.min(text.length, close + 1);
    } else if (char === '\\') {
      index += 2;
    } else {
      index += 1;
    }
  }
  return Math.min(index, text.length);
}

/**
 * Where the command starting at `start` ends (exclusive), read word by word the way a shell splits
 * them; `inParenthesis` when the command follows a `(` of the prose, which its last word closes.
 */
function commandEnd(text: string, start: number, inParenthesis: boolean): number {
  let index = start;
  let end = start;
  let first = true;
  while (index < text.length) {
    while (index < text.length && /\s/.test(text[index] ?? '')) index += 1;
    if (index >= text.length) break;
    const wordStop = wordEnd(text, index);
    const value = text.slice(index, wordStop);
    // Prose resumes: "(or SecurityPatch)", "(for a ReplicaSet, …)", "(remove the subject, …)".
    if (!first && value.startsWith('(')) return end;
    first = false;
    const last = value.at(-1);
    if (inParenthesis && last === ')') return wordStop - 1;
    // A word that ends the clause: "-n batch-staging, then …", "-o tsv; kubectl …", "… --disable-local-accounts."
    if (last === ',' || last === ';') return wordStop - 1;
    const rest = text.slice(wordStop).trimStart();
    if (last === '.' && !value.endsWith('..') && (rest === '' || /^[A-Z(]/.test(rest))) return wordStop - 1;
    end = wordStop;
    index = wordStop;
  }
  return end;
}

/** A command name at a word start: after the start, a space or a `(` of the prose, followed by a space. */
const COMMAND_START = /(^|[\s(])(az|kubectl)(?=\s+\S)/g;

/** The text as prose and command pieces, in order; the pieces join to the text. */
export function splitCommands(text: string): TextPiece[] {
  const pieces: TextPiece[] = [];
  let cursor = 0;
  COMMAND_START.lastIndex = 0;
  for (let match = COMMAND_START.exec(text); match !== null; match = COMMAND_START.exec(text)) {
    const start = match.index + (match[1] ?? '').length;
    const end = commandEnd(text, start, match[1] === '(');
    if (start > cursor) pieces.push({ kind: 'text', text: text.slice(cursor, start) });
    pieces.push({ kind: 'command', text: text.slice(start, end) });
    cursor = end;
    COMMAND_START.lastIndex = Math.max(end, start + 1);
  }
  if (cursor < text.length) pieces.push({ kind: 'text', text: text.slice(cursor) });
  return pieces;
}
