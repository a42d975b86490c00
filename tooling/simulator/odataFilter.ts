/**
 * The subset of OData `$filter` the simulator understands: `field eq 'text'`, `field ne 'text'`,
 * `field eq true|false` (the official `PolicyStates_FilterAndGroupByWithAggregate.json` filters on
 * `IsCompliant eq false`), `and`, `or`, `not`-free parentheses. Anything else is a 400, as the
 * service answers an invalid filter, so an adapter that sends a filter we do not implement fails
 * loudly in tests.
 */
export type FilterNode =
  { kind: 'compare'; field: string; operator: 'eq' | 'ne'; value: string | boolean } | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode };

type Token = { kind: 'word'; text: string } | { kind: 'string'; text: string } | { kind: 'open' } | { kind: 'close' };

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < filter.length) {
    const char = filter[index]!;
    if (/\s/.test(char)) {
      index += 1;
    } else if (char === '(' || char === ')') {
      tokens.push({ kind: char === '(' ? 'open' : 'close' });
      index += 1;
    } else if (char === "'") {
      let text = '';
      index += 1;
      for (;;) {
        if (index >= filter.length) throw new Error('unterminated string literal');
        if (filter[index] === "'") {
          if (filter[index + 1] === "'") {
            text += "'";
            index += 2;
            continue;
          }
          index += 1;
          break;
        }
        text += filter[index];
        index += 1;
      }
      tokens.push({ kind: 'string', text });
    } else {
      const match = /^[A-Za-z_$][\w$.]*/.exec(filter.slice(index));
      if (!match) throw new Error(`unexpected character '${char}' at ${index}`);
      tokens.push({ kind: 'word', text: match[0] });
      index += match[0].length;
    }
  }
  return tokens;
}

export function parseFilter(filter: string): FilterNode {
  const tokens = tokenize(filter);
  let position = 0;
  const peekWord = (): string | undefined => {
    const token = tokens[position];
    return token?.kind === 'word' ? token.text.toLowerCase() : undefined;
  };
  function primary(): FilterNode {
    const token = tokens[position];
    if (token?.kind === 'open') {
      position += 1;
      const node = disjunction();
      if (tokens[position]?.kind !== 'close') throw new Error('missing )');
      position += 1;
      return node;
    }
    if (token?.kind !== 'word') throw new Error('expected a field name');
    const operator = (tokens[position + 1] as { text?: string } | undefined)?.text?.toLowerCase();
    const value = tokens[position + 2];
    // ABNF literals are case-insensitive (RFC 5234), so OData's `true`/`false` are too.
    const literal =
      value?.kind === 'string' ? value.text : value?.kind === 'word' && /^(true|false)$/i.test(value.text) ? value.text.toLowerCase() === 'true' : undefined;
    if ((operator !== 'eq' && operator !== 'ne') || literal === undefined) throw new Error(`unsupported comparison after ${token.text}`);
    position += 3;
    return { kind: 'compare', field: token.text, operator, value: literal };
  }
  function conjunction(): FilterNode {
    let node = primary();
    while (peekWord() === 'and') {
      position += 1;
      node = { kind: 'and', left: node, right: primary() };
    }
    return node;
  }
  function disjunction(): FilterNode {
    let node = conjunction();
    while (peekWord() === 'or') {
      position += 1;
      node = { kind: 'or', left: node, right: conjunction() };
    }
    return node;
  }
  const node = disjunction();
  if (position !== tokens.length) throw new Error('unexpected trailing input');
  return node;
}

/** Field names and string values compare case-insensitively, as Policy Insights does; booleans compare exactly. */
export function matchesFilter(node: FilterNode, record: Record<string, unknown>): boolean {
  switch (node.kind) {
    case 'and':
      return matchesFilter(node.left, record) && matchesFilter(node.right, record);
    case 'or':
      return matchesFilter(node.left, record) || matchesFilter(node.right, record);
    case 'compare': {
      const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === node.field.toLowerCase());
      const actual = key === undefined ? undefined : record[key];
      const equal = typeof node.value === 'boolean' ? actual === node.value : typeof actual === 'string' && actual.toLowerCase() === node.value.toLowerCase();
      return node.operator === 'eq' ? equal : !equal;
    }
  }
}
