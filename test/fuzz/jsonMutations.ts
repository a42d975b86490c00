/**
 * Mutations of valid JSON documents: the malformed inputs real callers send are almost right, so
 * besides fully arbitrary JSON each target also gets a valid document with a few fields deleted,
 * nulled, given the wrong type, replaced by arbitrary JSON, or joined by unknown (and
 * prototype-polluting) keys, at any depth.
 */
import fc from 'fast-check';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

type Container = Json[] | { [key: string]: Json };
type Path = Array<string | number>;

/** Keys that break code which copies objects with `obj[key] = ...` or reads inherited members. */
export const HOSTILE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', ''];

/** Values of every JSON type, including the awkward ones (empty, huge, negative, unicode). */
export const awkwardJson: fc.Arbitrary<Json> = fc.oneof(
  {
    arbitrary: fc.constantFrom<Json>(
      null,
      true,
      false,
      0,
      -1,
      1e308,
      -1e308,
      2 ** 53 + 1,
      0.5,
      '',
      ' ',
      'null',
      'true',
      '0',
      '1.32',
      '\u0000',
      '\u202e',
      '😀',
      [],
      {},
      [null],
      { '': null },
    ),
    weight: 3,
  },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 3 },
  // Longer than an Azure Tables string property (64 KiB) or any sane field.
  {
    arbitrary: fc.tuple(fc.integer({ min: 2_000, max: 70_000 }), fc.constantFrom('a', 'é', '/', '😀')).map(([length, unit]) => unit.repeat(length)),
    weight: 1,
  },
  { arbitrary: fc.double(), weight: 1 },
  { arbitrary: fc.integer(), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }) as fc.Arbitrary<Json>, weight: 3 },
);

export type MutationKind = 'delete' | 'null' | 'wrongType' | 'replace' | 'addUnknown' | 'addHostile';

export interface Mutation {
  kind: MutationKind;
  /** Picks one of the document's paths (index modulo the number of paths). */
  at: number;
  value: Json;
  key: string;
}

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom<MutationKind>('delete', 'null', 'wrongType', 'wrongType', 'replace', 'addUnknown', 'addHostile'),
  at: fc.nat(),
  value: awkwardJson,
  key: fc.oneof(fc.constantFrom(...HOSTILE_KEYS), fc.string({ maxLength: 12 })),
});

function isContainer(value: Json | undefined): value is Container {
  return typeof value === 'object' && value !== null;
}

/** Every path in the document, the root (`[]`) first, parents before children. */
export function pathsOf(document: Json): Path[] {
  const paths: Path[] = [[]];
  const walk = (value: Json, path: Path) => {
    if (!isContainer(value)) return;
    const entries: Array<[string | number, Json]> = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
    for (const [key, child] of entries) {
      paths.push([...path, key]);
      walk(child, [...path, key]);
    }
  };
  walk(document, []);
  return paths;
}

/** A value of another JSON type than `value` (a string for a boolean, an object for an array...). */
function otherType(value: Json | undefined, seed: Json): Json {
  const kinds: Array<[string, Json]> = [
    ['string', typeof seed === 'string' ? seed : 'x'],
    ['number', typeof seed === 'number' ? seed : 42],
    ['boolean', true],
    ['array', [seed]],
    ['object', { value: seed }],
  ];
  const current = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  const candidates = kinds.filter(([kind]) => kind !== current);
  const seedIndex = typeof seed === 'string' ? seed.length : typeof seed === 'number' && Number.isFinite(seed) ? Math.abs(Math.trunc(seed)) : 0;
  return candidates[seedIndex % candidates.length]![1];
}

function get(document: Json, path: Path): Json | undefined {
  let current: Json | undefined = document;
  for (const key of path) {
    if (!isContainer(current)) return undefined;
    current = Array.isArray(current) ? current[key as number] : current[key as string];
  }
  return current;
}

/** Own data property, even for `__proto__` (plain assignment would change the prototype). */
function define(target: Container, key: string | number, value: Json): void {
  // A copy: generated values may be shared between runs and later mutations change documents in place.
  Object.defineProperty(target, key, { value: structuredClone(value), enumerable: true, writable: true, configurable: true });
}

/** Applies one mutation in place and returns the (possibly new) root. */
export function applyMutation(document: Json, mutation: Mutation): Json {
  const paths = pathsOf(document);
  const path = paths[mutation.at % paths.length]!;
  const current = get(document, path);
  if (mutation.kind === 'addUnknown' || mutation.kind === 'addHostile') {
    const key = mutation.kind === 'addHostile' ? HOSTILE_KEYS[mutation.at % HOSTILE_KEYS.length]! : mutation.key;
    if (isContainer(current) && !Array.isArray(current)) define(current, key, mutation.value);
    else if (Array.isArray(current)) current.push(structuredClone(mutation.value));
    return document;
  }
  const replacement = mutation.kind === 'null' ? null : mutation.kind === 'wrongType' ? otherType(current, mutation.value) : mutation.value;
  if (path.length === 0) return mutation.kind === 'delete' ? {} : structuredClone(replacement);
  const parent = get(document, path.slice(0, -1));
  const key = path.at(-1)!;
  if (!isContainer(parent)) return document;
  if (mutation.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
  } else {
    define(parent, key, replacement);
  }
  return document;
}

/** `base` with one to `max` mutations applied (a fresh copy every time). */
export function mutated(base: fc.Arbitrary<Json>, max = 3): fc.Arbitrary<Json> {
  return fc
    .tuple(base, fc.array(mutationArbitrary, { minLength: 1, maxLength: max }))
    .map(([document, mutations]) => mutations.reduce<Json>((current, mutation) => applyMutation(current, mutation), structuredClone(document)));
}
