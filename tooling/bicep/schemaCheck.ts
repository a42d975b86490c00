/**
 * Checks the resource declarations read by bicepReader.ts against the vendored Azure/bicep-types-az
 * type definitions (test/fixtures/bicep-types/, see its SOURCES.json): the type and api-version
 * exist, every property path we write exists, string literals are in the property's enum when the
 * enum is closed, required properties are set, and no read-only property is set. Values that are
 * expressions are accepted as "unknown value", but the path leading to them is still checked.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { BicepValue, ObjectEntry, ResourceDecl } from './bicepReader.js';
import { parseTypesMd, type PropertyTable, type ResourceDef, type TypeDef, type TypeExpr } from './typesMd.js';

export type SchemaIssueKind = 'unknown-type' | 'unknown-property' | 'enum' | 'required' | 'read-only' | 'type-mismatch' | 'not-vendored' | 'existing';

export interface SchemaIssue {
  readonly kind: SchemaIssueKind;
  /** `file:line symbol (Type@version) path: message`. */
  readonly message: string;
}

/** A vendored resource type with the type sections of its provider file. */
export interface VendoredResource {
  readonly resource: ResourceDef;
  readonly types: ReadonlyMap<string, TypeDef>;
  readonly source: string;
}

/** Every `*.types.md` in a directory, by `Type@version`. Type names are per provider file (Sku, ResourceTags differ). */
export function loadVendoredTypes(directory: string): Map<string, VendoredResource> {
  const vendored = new Map<string, VendoredResource>();
  for (const file of readdirSync(directory).filter((name) => name.endsWith('.types.md') && !name.includes('.full.'))) {
    const index = parseTypesMd(readFileSync(path.join(directory, file), 'utf8'));
    for (const [key, resource] of index.resources) {
      if (vendored.has(key)) throw new Error(`${key} is vendored twice (${vendored.get(key)!.source}, ${file})`);
      vendored.set(key, { resource, types: index.types, source: file });
    }
  }
  return vendored;
}

/** Keys Bicep adds to a resource body that are not part of the resource type. */
const DECLARATION_KEYS = new Set(['parent', 'scope', 'dependsOn']);

class Checker {
  readonly issues: SchemaIssue[] = [];
  constructor(
    private readonly where: string,
    private readonly types: ReadonlyMap<string, TypeDef>,
  ) {}

  report(kind: SchemaIssueKind, at: string, message: string): void {
    this.issues.push({ kind, message: `${this.where} ${at || '(body)'}: ${message}` });
  }

  value(value: BicepValue, type: TypeExpr, at: string): void {
    if (value.kind === 'expression') return;
    switch (type.kind) {
      case 'primitive':
        return this.primitive(value, type.name, at);
      case 'literal':
        if (value.kind === 'interpolated') return;
        if (value.kind !== 'string') return this.report('type-mismatch', at, `expected '${type.value}', got ${describe(value)}`);
        if (value.value !== type.value) this.report('enum', at, `'${value.value}' is not '${type.value}'`);
        return;
      case 'union':
        return this.union(value, type.members, at);
      case 'array':
        if (value.kind === 'array') value.items.forEach((item, index) => this.value(item, type.item, `${at}[${index}]`));
        else if (value.kind === 'for') this.value(value.body, type.item, `${at}[for]`);
        else this.report('type-mismatch', at, `expected an array, got ${describe(value)}`);
        return;
      case 'ref':
        return this.ref(value, type.name, at);
    }
  }

  private primitive(value: BicepValue, name: string, at: string): void {
    const ok =
      name === 'any' ||
      (name === 'string' && (value.kind === 'string' || value.kind === 'interpolated')) ||
      (name === 'int' && value.kind === 'number') ||
      (name === 'bool' && value.kind === 'bool') ||
      (name === 'object' && value.kind === 'object') ||
      value.kind === 'null';
    if (!ok) this.report('type-mismatch', at, `expected ${name}, got ${describe(value)}`);
  }

  private union(value: BicepValue, members: readonly TypeExpr[], at: string): void {
    const literals = members.filter((member): member is Extract<TypeExpr, { kind: 'literal' }> => member.kind === 'literal');
    const open = members.some((member) => member.kind === 'primitive' && (member.name === 'string' || member.name === 'any'));
    if (literals.length > 0 && literals.length + (open ? 1 : 0) === members.length) {
      if (value.kind === 'interpolated' || value.kind === 'null') return;
      if (value.kind !== 'string') return this.report('type-mismatch', at, `expected a string, got ${describe(value)}`);
      if (!open && !literals.some((literal) => literal.value === value.value))
        this.report('enum', at, `'${value.value}' is not one of ${literals.map((literal) => `'${literal.value}'`).join(' | ')}`);
      return;
    }
    // A union of other shapes: the value must fit one member.
    for (const member of members) {
      const probe = new Checker(this.where, this.types);
      probe.value(value, member, at);
      if (probe.issues.length === 0) return;
    }
    this.report('type-mismatch', at, `${describe(value)} fits none of the union's members`);
  }

  private ref(value: BicepValue, name: string, at: string): void {
    const def = this.types.get(name);
    if (!def) return this.report('not-vendored', at, `type ${name} is not in the vendored subset: add its section from the source file (see SOURCES.json)`);
    if (value.kind === 'null') return;
    if (value.kind !== 'object') return this.report('type-mismatch', at, `expected an object (${name}), got ${describe(value)}`);
    if (def.kind === 'object') return this.object(value.entries, def.properties, def.additional, at);
    const discriminator = value.entries.find((candidate) => candidate.key === def.discriminator);
    const variantNames = [...def.variants.keys()];
    const variantFor = (literal: string) =>
      [...def.variants.entries()].find(([, table]) => {
        const type = table.get(def.discriminator)?.type;
        return type?.kind === 'literal' && type.value === literal;
      });
    if (!discriminator) return this.report('required', at, `missing required property ${def.discriminator} (one of ${variantNames.join(', ')})`);
    if (discriminator.value.kind !== 'string')
      return this.report('enum', `${join(at, def.discriminator)}`, `the discriminator must be a literal to be checked`);
    const variant = variantFor(discriminator.value.value);
    if (!variant) {
      const allowed = [...def.variants.values()].map((table) => table.get(def.discriminator)?.type).filter((type) => type?.kind === 'literal');
      return this.report(
        'enum',
        join(at, def.discriminator),
        `'${discriminator.value.value}' is not one of ${allowed.map((type) => `'${(type as { value: string }).value}'`).join(' | ')}`,
      );
    }
    this.object(value.entries, new Map([...def.base, ...variant[1]]), undefined, at);
  }

  object(entries: readonly ObjectEntry[], table: PropertyTable, additional: TypeExpr | undefined, at: string, skip: ReadonlySet<string> = new Set()): void {
    for (const { key, keyText, value } of entries) {
      if (key !== undefined && skip.has(key)) continue;
      const property = key === undefined ? undefined : table.get(key);
      const here = join(at, key ?? keyText);
      if (!property) {
        if (additional) this.value(value, additional, here);
        else this.report('unknown-property', here, `unknown property ${keyText}${suggestion(key, table)}`);
        continue;
      }
      if (property.flags.has('ReadOnly')) {
        this.report('read-only', here, `${key} is read-only`);
        continue;
      }
      this.value(value, property.type, here);
    }
    const present = new Set(entries.map((candidate) => candidate.key));
    for (const property of table.values())
      if (property.flags.has('Required') && !property.flags.has('ReadOnly') && !present.has(property.name))
        this.report('required', at, `missing required property ${property.name}`);
  }
}

function join(at: string, key: string): string {
  return at ? `${at}.${key}` : key;
}

function describe(value: BicepValue): string {
  switch (value.kind) {
    case 'string':
      return `'${value.value}'`;
    case 'number':
    case 'bool':
      return String(value.value);
    default:
      return `a ${value.kind}`;
  }
}

/** ` (did you mean x?)` for a key one edit or a case change away from a real property. */
function suggestion(key: string | undefined, table: PropertyTable): string {
  if (!key) return '';
  const close = [...table.keys()].find((name) => name.toLowerCase() === key.toLowerCase() || editDistance(name, key) <= 2);
  return close ? ` (did you mean ${close}?)` : '';
}

function editDistance(left: string, right: string): number {
  const row = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let i = 1; i <= left.length; i += 1) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= right.length; j += 1) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (left[i - 1] === right[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[right.length]!;
}

/** The issues of one resource declaration against the vendored types. */
export function checkResource(decl: ResourceDecl, vendored: ReadonlyMap<string, VendoredResource>): SchemaIssue[] {
  const key = `${decl.type}@${decl.apiVersion}`;
  const where = `${decl.file}:${decl.line} ${decl.symbol} (${key})`;
  const found = vendored.get(key);
  if (!found) {
    const versions = [...vendored.keys()].filter((candidate) => candidate.startsWith(`${decl.type}@`));
    return [
      {
        kind: 'unknown-type',
        message: `${where}: unknown resource type or api-version${versions.length ? ` (vendored: ${versions.join(', ')})` : ''}; vendor its types.md section with its source if it is real`,
      },
    ];
  }
  const checker = new Checker(where, found.types);
  if (decl.existing) {
    for (const { key: entryKey, keyText } of decl.body.entries)
      if (entryKey !== 'name' && entryKey !== 'scope' && entryKey !== 'parent')
        checker.report('existing', keyText, `an existing resource only takes name, scope and parent`);
    return checker.issues;
  }
  if (found.resource.readOnly) checker.report('read-only', '', `${key} is a read-only resource type and cannot be deployed`);
  let body = found.resource.bodies[0];
  if (found.resource.bodies.length > 1) {
    // Discriminated by name (e.g. sites/config 'authsettingsV2'): the name literal picks the body.
    const discriminator = found.resource.discriminator ?? 'name';
    const value = decl.body.entries.find((candidate) => candidate.key === discriminator)?.value;
    const literalOf = (table: PropertyTable) => {
      const type = table.get(discriminator)?.type;
      return type?.kind === 'literal' ? type.value : undefined;
    };
    if (value?.kind !== 'string') {
      checker.report('enum', discriminator, `${discriminator} must be a literal to pick the body of ${key}`);
      return checker.issues;
    }
    body = found.resource.bodies.find((table) => literalOf(table) === value.value);
    if (!body) {
      checker.report(
        'enum',
        discriminator,
        `'${value.value}' is not one of ${found.resource.bodies.map((table) => `'${literalOf(table)}'`).join(' | ')} (vendored variants)`,
      );
      return checker.issues;
    }
  }
  checker.object(decl.body.entries, body ?? new Map(), undefined, '', DECLARATION_KEYS);
  return checker.issues;
}
