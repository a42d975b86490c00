/**
 * Reads the `types.md` files Azure/bicep-types-az generates next to each `types.json`
 * (generated/<provider>/<namespace>/<api-version>/types.md): the same resource types, rendered one
 * property per line. The vendored copies in test/fixtures/bicep-types/ are trimmed (see
 * {@link trimTypesMd}): only the sections for the resource types the templates use, without the
 * descriptions. A section the trimmed file does not carry is reported as "not vendored" by the schema
 * check, so a template that starts using it fails until the section is added from the source.
 */

/** A property flag as types.md prints it in parentheses after the type. */
export type PropertyFlag = 'Required' | 'ReadOnly' | 'WriteOnly' | 'DeployTimeConstant' | 'Identifier';

/** The type of a property: a primitive, a string literal, a union, an array, or a named type section. */
export type TypeExpr =
  | { kind: 'primitive'; name: 'string' | 'int' | 'bool' | 'any' | 'object' }
  | { kind: 'literal'; value: string }
  | { kind: 'union'; members: TypeExpr[] }
  | { kind: 'array'; item: TypeExpr }
  | { kind: 'ref'; name: string };

export interface PropertyDef {
  readonly name: string;
  readonly type: TypeExpr;
  readonly flags: ReadonlySet<PropertyFlag>;
}

export type PropertyTable = ReadonlyMap<string, PropertyDef>;

/** A `## Name` section: an object (with optional additional properties) or a discriminated object. */
export type TypeDef =
  | { kind: 'object'; name: string; properties: PropertyTable; additional?: TypeExpr }
  | { kind: 'discriminated'; name: string; discriminator: string; base: PropertyTable; variants: ReadonlyMap<string, PropertyTable> };

/** A `## Resource Type@version` section; discriminated resources (e.g. sites/config by name) have one body per variant. */
export interface ResourceDef {
  readonly key: string;
  readonly readOnly: boolean;
  readonly discriminator?: string;
  readonly bodies: readonly PropertyTable[];
}

export interface TypesIndex {
  readonly resources: ReadonlyMap<string, ResourceDef>;
  readonly types: ReadonlyMap<string, TypeDef>;
}

const FLAGS: readonly PropertyFlag[] = ['Required', 'ReadOnly', 'WriteOnly', 'DeployTimeConstant', 'Identifier'];
const PROPERTY_LINE = /^\* \*\*([^*]+)\*\*: (.*)$/;
const FLAGS_SUFFIX = new RegExp(`^ \\(((?:${FLAGS.join('|')})(?:, (?:${FLAGS.join('|')}))*)\\)`);

/** Parses the text after `* **name**: `: a type expression, optional `{constraints}`, optional `(Flags)`, optional `: description`. */
export function parsePropertyRest(rest: string): { type: TypeExpr; flags: Set<PropertyFlag>; end: number } {
  const parser = new TypeParser(rest);
  const type = parser.union();
  const flagsMatch = FLAGS_SUFFIX.exec(rest.slice(parser.pos));
  let end = parser.pos;
  const flags = new Set<PropertyFlag>();
  if (flagsMatch) {
    for (const flag of (flagsMatch[1] ?? '').split(', ')) flags.add(flag as PropertyFlag);
    end += flagsMatch[0].length;
  }
  const after = rest.slice(end);
  if (after !== '' && !after.startsWith(': ')) throw new Error(`unexpected text after the type: ${JSON.stringify(after.slice(0, 40))}`);
  return { type, flags, end };
}

class TypeParser {
  pos = 0;
  constructor(private readonly text: string) {}

  union(): TypeExpr {
    const members = [this.primary()];
    while (this.text.startsWith(' | ', this.pos)) {
      this.pos += 3;
      members.push(this.primary());
    }
    return members.length === 1 ? members[0]! : { kind: 'union', members };
  }

  private primary(): TypeExpr {
    let type: TypeExpr;
    const char = this.text[this.pos];
    if (char === "'") {
      const close = this.text.indexOf("'", this.pos + 1);
      if (close < 0) throw new Error('unclosed literal');
      type = { kind: 'literal', value: this.text.slice(this.pos + 1, close) };
      this.pos = close + 1;
    } else if (char === '(') {
      this.pos += 1;
      type = this.union();
      if (this.text[this.pos] !== ')') throw new Error(`expected ) at ${this.pos}`);
      this.pos += 1;
    } else if (char === '[') {
      const match = /^\[([A-Za-z0-9_.]+)\]\(#[a-z0-9_.]+\)/.exec(this.text.slice(this.pos));
      if (!match) throw new Error(`bad type link at ${this.pos}`);
      type = { kind: 'ref', name: match[1]! };
      this.pos += match[0].length;
    } else {
      const match = /^(string|int|bool|any|object)\b/.exec(this.text.slice(this.pos));
      if (!match) throw new Error(`unknown type at ${JSON.stringify(this.text.slice(this.pos, this.pos + 20))}`);
      type = { kind: 'primitive', name: match[1] as 'string' };
      this.pos += match[0].length;
    }
    while (this.text.startsWith('[]', this.pos)) {
      type = { kind: 'array', item: type };
      this.pos += 2;
    }
    if (this.text.startsWith(' {', this.pos)) this.skipConstraints();
    return type;
  }

  /** Skips `{minLength: 3, pattern: "^{a}$"}`: braces inside the quoted pattern do not count. */
  private skipConstraints(): void {
    let index = this.pos + 2;
    let inQuote = false;
    for (; index < this.text.length; index += 1) {
      const char = this.text[index];
      if (inQuote) {
        if (char === '\\') index += 1;
        else if (char === '"') inQuote = false;
      } else if (char === '"') inQuote = true;
      else if (char === '}') break;
    }
    this.pos = index + 1;
  }
}

interface RawSection {
  readonly heading: string;
  readonly lines: string[];
}

/** Splits types.md into `## ` sections (the `# Provider @ version` title is dropped). */
function sections(text: string): RawSection[] {
  const result: RawSection[] = [];
  let current: RawSection | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('## ')) {
      current = { heading: line.slice(3).trim(), lines: [] };
      result.push(current);
    } else if (current) current.lines.push(line);
  }
  return result;
}

function propertyTable(lines: readonly string[], where: string): Map<string, PropertyDef> {
  const table = new Map<string, PropertyDef>();
  for (const line of lines) {
    const match = PROPERTY_LINE.exec(line);
    if (!match) continue;
    const name = match[1]!;
    try {
      const { type, flags } = parsePropertyRest(match[2]!);
      table.set(name, { name, type, flags });
    } catch (error) {
      throw new Error(`${where}: property ${name}: ${(error as Error).message}`, { cause: error });
    }
  }
  return table;
}

/** Lines of a section grouped under its `###`/`####` sub-headings. */
function subsections(lines: readonly string[]): { heading: string; lines: string[] }[] {
  const result: { heading: string; lines: string[] }[] = [{ heading: '', lines: [] }];
  for (const line of lines) {
    if (/^#{3,4} /.test(line)) result.push({ heading: line.replace(/^#+ /, '').trim(), lines: [] });
    else result.at(-1)!.lines.push(line);
  }
  return result;
}

function discriminatorOf(lines: readonly string[]): string | undefined {
  for (const line of lines) {
    const match = /^\* \*\*Discriminator\*\*: (\S+)$/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}

/** Parses a types.md (full or trimmed) into resource and type tables. The first section of a name wins (repeats are identical). */
export function parseTypesMd(text: string): TypesIndex {
  const resources = new Map<string, ResourceDef>();
  const types = new Map<string, TypeDef>();
  for (const section of sections(text)) {
    if (section.heading.startsWith('Function ')) continue;
    const parts = subsections(section.lines);
    const discriminator = discriminatorOf(parts[0]!.lines);
    const resourceMatch = /^Resource (\S+@\S+)( \(ReadOnly\))?$/.exec(section.heading);
    if (resourceMatch) {
      const key = resourceMatch[1]!;
      if (resources.has(key)) continue;
      // One `Properties` block, or one per variant (`### Type` + `#### Properties`) when discriminated by name.
      const bodies = parts.filter((part) => part.heading === 'Properties').map((part) => propertyTable(part.lines, key));
      resources.set(key, { key, readOnly: Boolean(resourceMatch[2]), ...(discriminator ? { discriminator } : {}), bodies });
      continue;
    }
    const name = section.heading;
    if (types.has(name)) continue;
    if (discriminator) {
      const base = propertyTable(parts.find((part) => part.heading === 'Base Properties')?.lines ?? [], name);
      const variants = new Map<string, PropertyTable>();
      parts.forEach((part, index) => {
        if (part.heading === 'Properties' && index > 0) {
          const variantName = parts[index - 1]!.heading;
          variants.set(variantName, propertyTable(part.lines, `${name}.${variantName}`));
        }
      });
      types.set(name, { kind: 'discriminated', name, discriminator, base, variants });
      continue;
    }
    const properties = propertyTable(parts.find((part) => part.heading === 'Properties')?.lines ?? [], name);
    const additionalLine = parts
      .find((part) => part.heading === 'Additional Properties')
      ?.lines.find((line) => line.startsWith('* **Additional Properties Type**: '));
    const additional = additionalLine ? parsePropertyRest(additionalLine.slice('* **Additional Properties Type**: '.length)).type : undefined;
    types.set(name, { kind: 'object', name, properties, ...(additional ? { additional } : {}) });
  }
  return { resources, types };
}

/** What a trimmed file keeps: these resource sections (discriminated ones limited to the listed variants) and these type sections. */
export interface TrimSpec {
  readonly resources: readonly string[];
  /** For a resource discriminated by name: the variants (name literals) to keep. */
  readonly variants?: Readonly<Record<string, readonly string[]>>;
  readonly types: readonly string[];
}

const METADATA_LABELS = new Set(['Readable Scope(s)', 'Writable Scope(s)', 'Valid Scope(s)', 'Discriminator']);

/** Drops a property line's description: `* **x**: string (Required): The x.` → `* **x**: string (Required)`. */
function withoutDescription(line: string): string {
  const match = PROPERTY_LINE.exec(line);
  if (!match || METADATA_LABELS.has(match[1]!)) return line;
  const { end } = parsePropertyRest(match[2]!);
  return `* **${match[1]}**: ${match[2]!.slice(0, end)}`;
}

/**
 * Derives a vendored file from a full types.md: the title, the kept sections in source order (first
 * occurrence of each), property lines without descriptions, description continuation lines dropped.
 * Deterministic, so `trimTypesMd(full, spec)` reproduces the committed fixture from the source commit.
 */
export function trimTypesMd(full: string, spec: TrimSpec): string {
  const lines = full.split('\n');
  const title = lines[0] ?? '';
  const keptResources = new Set(spec.resources.map((key) => `Resource ${key}`));
  const keptTypes = new Set(spec.types);
  const seen = new Set<string>();
  const out: string[] = [title, ''];
  for (const section of sections(full)) {
    const heading = section.heading.replace(/ \(ReadOnly\)$/, '');
    const wanted = keptResources.has(heading) || keptTypes.has(heading);
    if (!wanted || seen.has(heading)) continue;
    seen.add(heading);
    const key = heading.replace(/^Resource /, '');
    const variants = spec.variants?.[key];
    const kept: string[] = [];
    for (const line of section.lines) {
      // Description continuation lines (neither a property, a heading nor blank) go with their description.
      if (line.startsWith('* **') || line.startsWith('#') || line === '') kept.push(line.startsWith('* **') ? withoutDescription(line) : line);
    }
    if (variants) {
      // A variant block of a discriminated resource: `### Type` + `#### Properties` with a `name: '<variant>'` line.
      const filtered: string[] = [];
      let block: string[] = [];
      const flush = () => {
        const nameLine = block.find((line) => line.startsWith('* **name**: '));
        const literal = /^\* \*\*name\*\*: '([^']+)'/.exec(nameLine ?? '')?.[1];
        if (!nameLine || (literal !== undefined && variants.includes(literal))) filtered.push(...block);
        block = [];
      };
      for (const line of kept) {
        if (line.startsWith('### ') && line !== '### Base Properties') flush();
        block.push(line);
      }
      flush();
      kept.splice(0, kept.length, ...filtered);
    }
    while (kept.at(-1) === '') kept.pop();
    out.push(`## ${section.heading}`, ...kept, '');
  }
  return `${out.join('\n')}\n`;
}
