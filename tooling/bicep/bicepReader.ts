/**
 * A small, strict reader of the Bicep this repository writes: `param`, `var`, `output`, decorators,
 * `targetScope`, and `resource`/`module` declarations (`symbol 'Type@version' [existing] = ` an
 * object, `if (...)` an object, or `[for ... : [if (...)] object]`), with nested objects and arrays,
 * string interpolation, and anything else (function calls, property access, ternaries, lambdas) kept
 * as an opaque expression. It throws on syntax it does not know (nested resources, `import`, `type`,
 * `func`) instead of guessing, so the schema check never silently skips a declaration.
 *
 * There is no Bicep CLI on the build machine and no maintained Bicep parser on npm (bicep-node wraps
 * the CLI binary it downloads; tree-sitter-bicep needs native bindings), hence this reader.
 */

/** A value in a declaration; `line` is 1-based in the file. */
export type BicepValue =
  | { kind: 'object'; entries: ObjectEntry[]; line: number }
  | { kind: 'array'; items: BicepValue[]; line: number }
  | { kind: 'for'; body: BicepValue; line: number; text: string }
  | { kind: 'string'; value: string; line: number }
  | { kind: 'interpolated'; text: string; line: number }
  | { kind: 'number'; value: number; line: number }
  | { kind: 'bool'; value: boolean; line: number }
  | { kind: 'null'; line: number }
  | { kind: 'expression'; text: string; line: number };

export interface ObjectEntry {
  /** The key; undefined when the key is an interpolated string such as `'${identity.id}'`. */
  readonly key: string | undefined;
  readonly keyText: string;
  readonly value: BicepValue;
  readonly line: number;
}

export interface ResourceDecl {
  readonly file: string;
  readonly line: number;
  readonly symbol: string;
  readonly type: string;
  readonly apiVersion: string;
  readonly existing: boolean;
  readonly condition?: string;
  readonly loop?: string;
  readonly body: Extract<BicepValue, { kind: 'object' }>;
  /** The declaration's source, for rules that look at references. */
  readonly text: string;
}

export interface ModuleDecl {
  readonly file: string;
  readonly line: number;
  readonly symbol: string;
  readonly path: string;
  readonly condition?: string;
  readonly loop?: string;
  readonly body: Extract<BicepValue, { kind: 'object' }>;
  readonly text: string;
}

export interface ParamDecl {
  readonly name: string;
  readonly type: string;
  readonly hasDefault: boolean;
  readonly line: number;
}

export interface VarDecl {
  readonly name: string;
  readonly value: BicepValue;
  readonly text: string;
  readonly line: number;
}

export interface BicepFile {
  readonly file: string;
  readonly targetScope: string;
  readonly params: ParamDecl[];
  readonly vars: VarDecl[];
  readonly resources: ResourceDecl[];
  readonly modules: ModuleDecl[];
}

type TokenKind = 'ident' | 'string' | 'number' | 'punct' | 'nl' | 'eof';

interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly start: number;
  readonly end: number;
  readonly line: number;
  /** For strings: the unescaped value, or undefined when the string interpolates. */
  readonly value?: string;
}

/** A reader error with the file and line, so a template change that the reader does not know is easy to find. */
export class BicepSyntaxError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'BicepSyntaxError';
  }
}

const TWO_CHAR_PUNCT = ['==', '!=', '<=', '>=', '&&', '||', '??', '=>', '=~', '!~', '.?'];
const ESCAPES: Record<string, string> = { "'": "'", '\\': '\\', n: '\n', r: '\r', t: '\t', $: '$' };

/**
 * Scans a single-quoted string starting at `start` (the quote). Returns the index after the closing
 * quote and the unescaped value, or undefined when the string interpolates (`${...}`).
 */
function scanString(src: string, start: number, file: string, lineOf: (index: number) => number): { end: number; value: string | undefined } {
  let index = start + 1;
  let value = '';
  let interpolated = false;
  while (index < src.length) {
    const char = src[index]!;
    if (char === "'") return { end: index + 1, value: interpolated ? undefined : value };
    if (char === '\\') {
      const next = src[index + 1] ?? '';
      if (next === 'u' && src[index + 2] === '{') {
        const close = src.indexOf('}', index);
        value += String.fromCodePoint(parseInt(src.slice(index + 3, close), 16));
        index = close + 1;
        continue;
      }
      if (!(next in ESCAPES)) throw new BicepSyntaxError(file, lineOf(index), `unknown escape \\${next}`);
      value += ESCAPES[next];
      index += 2;
      continue;
    }
    if (char === '$' && src[index + 1] === '{') {
      interpolated = true;
      index = scanInterpolation(src, index + 2, file, lineOf);
      continue;
    }
    if (char === '\n') throw new BicepSyntaxError(file, lineOf(index), 'newline in a string');
    value += char;
    index += 1;
  }
  throw new BicepSyntaxError(file, lineOf(start), 'unclosed string');
}

/** Returns the index after the `}` that closes an interpolation whose expression starts at `start`. */
function scanInterpolation(src: string, start: number, file: string, lineOf: (index: number) => number): number {
  let depth = 0;
  let index = start;
  while (index < src.length) {
    const char = src[index]!;
    if (char === "'") {
      index = scanString(src, index, file, lineOf).end;
      continue;
    }
    if (char === '{') depth += 1;
    if (char === '}') {
      if (depth === 0) return index + 1;
      depth -= 1;
    }
    index += 1;
  }
  throw new BicepSyntaxError(file, lineOf(start), 'unclosed interpolation');
}

function tokenize(src: string, file: string): Token[] {
  const lineStarts = [0];
  for (let index = 0; index < src.length; index += 1) if (src[index] === '\n') lineStarts.push(index + 1);
  const lineOf = (index: number): number => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (lineStarts[mid]! <= index) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
  const tokens: Token[] = [];
  let index = 0;
  const push = (kind: TokenKind, start: number, end: number, value?: string) =>
    tokens.push({ kind, text: src.slice(start, end), start, end, line: lineOf(start), ...(value !== undefined ? { value } : {}) });
  while (index < src.length) {
    const char = src[index]!;
    if (char === ' ' || char === '\t' || char === '\r') {
      index += 1;
    } else if (char === '\n') {
      push('nl', index, index + 1);
      index += 1;
    } else if (src.startsWith('//', index)) {
      const end = src.indexOf('\n', index);
      index = end < 0 ? src.length : end;
    } else if (src.startsWith('/*', index)) {
      const end = src.indexOf('*/', index + 2);
      if (end < 0) throw new BicepSyntaxError(file, lineOf(index), 'unclosed comment');
      index = end + 2;
    } else if (src.startsWith("'''", index)) {
      const end = src.indexOf("'''", index + 3);
      if (end < 0) throw new BicepSyntaxError(file, lineOf(index), 'unclosed multi-line string');
      push('string', index, end + 3, src.slice(index + 3, end).replace(/^\r?\n/, ''));
      index = end + 3;
    } else if (char === "'") {
      const { end, value } = scanString(src, index, file, lineOf);
      push('string', index, end, value);
      index = end;
    } else if (/[A-Za-z_]/.test(char)) {
      let end = index + 1;
      while (end < src.length && /[A-Za-z0-9_]/.test(src[end]!)) end += 1;
      push('ident', index, end);
      index = end;
    } else if (/[0-9]/.test(char)) {
      let end = index + 1;
      while (end < src.length && /[0-9]/.test(src[end]!)) end += 1;
      push('number', index, end);
      index = end;
    } else {
      const two = src.slice(index, index + 2);
      const width = TWO_CHAR_PUNCT.includes(two) ? 2 : 1;
      if (width === 1 && !'{}[]():,.?!=@<>+-*/%'.includes(char))
        throw new BicepSyntaxError(file, lineOf(index), `unexpected character ${JSON.stringify(char)}`);
      push('punct', index, index + width);
      index += width;
    }
  }
  tokens.push({ kind: 'eof', text: '', start: src.length, end: src.length, line: lineOf(src.length) });
  return tokens;
}

const CLOSERS = new Set(['}', ']', ')']);

class Parser {
  private index = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly src: string,
    private readonly file: string,
  ) {}

  private get token(): Token {
    return this.tokens[this.index]!;
  }

  private fail(message: string, token: Token = this.token): never {
    throw new BicepSyntaxError(this.file, token.line, `${message} (at ${JSON.stringify(token.text || token.kind)})`);
  }

  private next(): Token {
    const token = this.token;
    if (token.kind !== 'eof') this.index += 1;
    return token;
  }

  private is(text: string): boolean {
    return (this.token.kind === 'punct' || this.token.kind === 'ident') && this.token.text === text;
  }

  private expect(text: string): Token {
    if (!this.is(text)) this.fail(`expected ${text}`);
    return this.next();
  }

  private skipNewlines(): void {
    while (this.token.kind === 'nl') this.next();
  }

  private atTerminator(): boolean {
    const token = this.token;
    return token.kind === 'nl' || token.kind === 'eof' || (token.kind === 'punct' && (token.text === ',' || CLOSERS.has(token.text)));
  }

  /** Consumes tokens up to a terminator at depth 0 (or up to `stop` at depth 0) and returns the source span. */
  private opaque(startToken: Token, stop?: string): string {
    let depth = 0;
    let last = startToken;
    while (this.token.kind !== 'eof') {
      const token = this.token;
      if (depth === 0 && (stop ? token.kind === 'punct' && token.text === stop : this.atTerminator())) break;
      // A type or loop header ends with its line; only a parenthesised condition may span lines.
      if (depth === 0 && stop && stop !== ')' && (token.kind === 'nl' || token.kind === 'eof')) break;
      if (token.kind === 'punct' && '([{'.includes(token.text)) depth += 1;
      if (token.kind === 'punct' && CLOSERS.has(token.text)) {
        if (depth === 0) break;
        depth -= 1;
      }
      last = token;
      this.next();
    }
    return this.src.slice(startToken.start, Math.max(last.end, startToken.end));
  }

  /** A value: literal, object, array, for-comprehension, or an opaque expression. */
  value(): BicepValue {
    const start = this.token;
    const startIndex = this.index;
    let literal: BicepValue | undefined;
    if (start.kind === 'punct' && start.text === '{') literal = this.object();
    else if (start.kind === 'punct' && start.text === '[') literal = this.arrayOrFor();
    else if (start.kind === 'string') {
      this.next();
      literal =
        start.value === undefined ? { kind: 'interpolated', text: start.text, line: start.line } : { kind: 'string', value: start.value, line: start.line };
    } else if (start.kind === 'number') {
      this.next();
      literal = { kind: 'number', value: Number(start.text), line: start.line };
    } else if (start.kind === 'ident' && (start.text === 'true' || start.text === 'false')) {
      this.next();
      literal = { kind: 'bool', value: start.text === 'true', line: start.line };
    } else if (start.kind === 'ident' && start.text === 'null') {
      this.next();
      literal = { kind: 'null', line: start.line };
    }
    if (literal && this.atTerminator()) return literal;
    // Part of a larger expression (`'a' == b ? x : y`, `[...][0]`, a function call, property access).
    this.index = startIndex;
    if (this.atTerminator()) this.fail('expected a value');
    return { kind: 'expression', text: this.opaque(start), line: start.line };
  }

  object(): Extract<BicepValue, { kind: 'object' }> {
    const open = this.expect('{');
    const entries: ObjectEntry[] = [];
    for (;;) {
      this.skipNewlines();
      if (this.is('}')) break;
      const keyToken = this.next();
      if (keyToken.kind === 'ident' && keyToken.text === 'resource' && this.token.kind === 'ident')
        this.fail('nested resource declarations are not supported by the reader', keyToken);
      if (keyToken.kind !== 'ident' && keyToken.kind !== 'string') this.fail('expected a property name', keyToken);
      const key = keyToken.kind === 'ident' ? keyToken.text : keyToken.value;
      this.expect(':');
      const value = this.value();
      entries.push({ key, keyText: keyToken.text, value, line: keyToken.line });
      if (this.is(',')) this.next();
      else if (!this.is('}') && this.token.kind !== 'nl') this.fail('expected a new line, a comma or } after a property');
    }
    this.expect('}');
    return { kind: 'object', entries, line: open.line };
  }

  private arrayOrFor(): BicepValue {
    const open = this.expect('[');
    this.skipNewlines();
    if (this.is('for')) {
      this.next();
      const header = this.opaque(this.token, ':');
      this.expect(':');
      this.skipNewlines();
      if (this.is('if')) {
        this.next();
        this.expect('(');
        this.opaque(this.token, ')');
        this.expect(')');
      }
      const body = this.value();
      this.skipNewlines();
      this.expect(']');
      return { kind: 'for', body, line: open.line, text: header };
    }
    const items: BicepValue[] = [];
    for (;;) {
      this.skipNewlines();
      if (this.is(']')) break;
      items.push(this.value());
      if (this.is(',')) this.next();
      else if (!this.is(']') && this.token.kind !== 'nl') this.fail('expected a new line, a comma or ] after an item');
    }
    this.expect(']');
    return { kind: 'array', items, line: open.line };
  }

  /** `= { }`, `= if (c) { }` or `= [for ...: [if (c)] { }]`: the body object, with the condition and loop header. */
  private declarationBody(): { body: Extract<BicepValue, { kind: 'object' }>; condition?: string; loop?: string } {
    this.expect('=');
    if (this.is('if')) {
      this.next();
      this.expect('(');
      const condition = this.opaque(this.token, ')');
      this.expect(')');
      return { body: this.object(), condition };
    }
    if (this.is('[')) {
      this.next();
      this.skipNewlines();
      this.expect('for');
      const loop = this.opaque(this.token, ':');
      this.expect(':');
      this.skipNewlines();
      let condition: string | undefined;
      if (this.is('if')) {
        this.next();
        this.expect('(');
        condition = this.opaque(this.token, ')');
        this.expect(')');
      }
      const body = this.object();
      this.skipNewlines();
      this.expect(']');
      return { body, loop, ...(condition !== undefined ? { condition } : {}) };
    }
    return { body: this.object() };
  }

  declarations(): BicepFile {
    const result: BicepFile = { file: this.file, targetScope: 'resourceGroup', params: [], vars: [], resources: [], modules: [] };
    let targetScope = 'resourceGroup';
    for (;;) {
      this.skipNewlines();
      const token = this.token;
      if (token.kind === 'eof') break;
      if (token.kind === 'punct' && token.text === '@') {
        // Decorator: @name(...) — its arguments do not matter here.
        this.next();
        this.next();
        if (this.is('.')) {
          this.next();
          this.next();
        }
        if (this.is('(')) {
          this.next();
          this.opaque(this.token, ')');
          this.expect(')');
        }
        continue;
      }
      if (token.kind !== 'ident') this.fail('expected a declaration');
      const keyword = this.next().text;
      if (keyword === 'targetScope') {
        this.expect('=');
        const value = this.value();
        if (value.kind !== 'string') this.fail('targetScope must be a literal', token);
        targetScope = value.value;
      } else if (keyword === 'param') {
        const name = this.next().text;
        const typeStart = this.token;
        const type = this.opaque(typeStart, '=');
        const hasDefault = this.is('=');
        if (hasDefault) {
          this.next();
          this.value();
        }
        result.params.push({ name, type: type.trim(), hasDefault, line: token.line });
      } else if (keyword === 'var') {
        const name = this.next().text;
        this.expect('=');
        const start = this.token;
        const value = this.value();
        result.vars.push({ name, value, text: this.src.slice(start.start, this.tokens[this.index - 1]!.end), line: token.line });
      } else if (keyword === 'output') {
        this.next();
        this.opaque(this.token, '=');
        this.expect('=');
        this.value();
      } else if (keyword === 'resource') {
        const symbol = this.next().text;
        const typeToken = this.next();
        if (typeToken.kind !== 'string' || typeToken.value === undefined) this.fail('expected a resource type string', typeToken);
        const [type, apiVersion] = typeToken.value.split('@');
        if (!type || !apiVersion) this.fail(`resource type ${typeToken.value} has no api-version`, typeToken);
        const existing = this.is('existing');
        if (existing) this.next();
        const { body, condition, loop } = this.declarationBody();
        result.resources.push({
          file: this.file,
          line: token.line,
          symbol,
          type,
          apiVersion,
          existing,
          ...(condition !== undefined ? { condition } : {}),
          ...(loop !== undefined ? { loop } : {}),
          body,
          text: this.src.slice(token.start, this.tokens[this.index - 1]!.end),
        });
      } else if (keyword === 'module') {
        const symbol = this.next().text;
        const pathToken = this.next();
        if (pathToken.kind !== 'string' || pathToken.value === undefined) this.fail('expected a module path string', pathToken);
        const { body, condition, loop } = this.declarationBody();
        result.modules.push({
          file: this.file,
          line: token.line,
          symbol,
          path: pathToken.value,
          ...(condition !== undefined ? { condition } : {}),
          ...(loop !== undefined ? { loop } : {}),
          body,
          text: this.src.slice(token.start, this.tokens[this.index - 1]!.end),
        });
      } else {
        this.fail(`unsupported statement ${keyword}`, token);
      }
      if (this.token.kind !== 'nl' && this.token.kind !== 'eof') this.fail('expected the end of the declaration');
    }
    return { ...result, targetScope };
  }
}

/** Reads one Bicep file's declarations. Throws {@link BicepSyntaxError} on anything it does not know. */
export function readBicep(src: string, file: string): BicepFile {
  return new Parser(tokenize(src, file), src, file).declarations();
}

/** The entry of an object value by key. */
export function entry(value: BicepValue | undefined, key: string): BicepValue | undefined {
  return value?.kind === 'object' ? value.entries.find((candidate) => candidate.key === key)?.value : undefined;
}

/**
 * Identifiers an expression source refers to (symbols, params, vars, functions), not the names after a
 * `.`, and not the text of string literals (their `${}` parts count). An over-approximation that
 * is good enough to tell whether a declaration mentions a symbol.
 */
export function identifiersIn(source: string): Set<string> {
  const found = new Set<string>();
  let index = 0;
  const walk = (end: number): void => {
    while (index < end) {
      const char = source[index]!;
      if (char === "'") {
        index += 1;
        while (index < source.length && source[index] !== "'") {
          if (source[index] === '\\') index += 2;
          else if (source[index] === '$' && source[index + 1] === '{') {
            index += 2;
            let depth = 0;
            const start = index;
            while (index < source.length && !(source[index] === '}' && depth === 0)) {
              if (source[index] === '{') depth += 1;
              if (source[index] === '}') depth -= 1;
              if (source[index] === "'") {
                // A nested string: skip it whole (its own interpolations are rare in this repository).
                index = source.indexOf("'", index + 1);
              }
              index += 1;
            }
            const stop = index;
            index = start;
            walk(stop);
            index = stop + 1;
          } else index += 1;
        }
        index += 1;
      } else if (/[A-Za-z_]/.test(char)) {
        let stop = index + 1;
        while (stop < source.length && /[A-Za-z0-9_]/.test(source[stop]!)) stop += 1;
        const before = source.slice(0, index).trimEnd();
        const after = source.slice(stop).trimStart();
        // An object key (`{ name: x }`, at a line start or after `{` or `,`) names a property, not a symbol.
        const isKey = after.startsWith(':') && (before === '' || /[{,\n]$/.test(source.slice(0, index).replace(/[ \t]+$/, '')));
        if (!before.endsWith('.') && !before.endsWith('?.') && !isKey) found.add(source.slice(index, stop));
        index = stop;
      } else index += 1;
    }
  };
  walk(source.length);
  return found;
}
