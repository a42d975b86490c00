/**
 * One cold start, in a fresh process (run by coldStartBench.ts and test/e2e/coldStart.test.ts):
 * supplies `@azure/functions-core` as the worker would, imports one module and prints JSON with
 * the import time, the functions it registered and, with --modules, every file it loaded.
 *
 *   node dist/test/bench/coldStartProbe.js <module path or specifier> [--modules] [--invoke <http function>]
 *   node dist/test/bench/coldStartProbe.js --sequence <spec,spec,...>   (time each import in turn)
 *
 * Only Node built-ins and the small local host are imported before the timed import, so every
 * variant pays the same fixed costs.
 */
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel } from 'node:worker_threads';

import { LocalFunctionsHost } from '../../tooling/local/functionsHost.js';

export interface ProbeRegistration {
  name: string;
  trigger: string;
  /** The bindings as the host would receive them (JSON), for comparing two builds. */
  bindings: string;
}

export interface ProbeResult {
  importMs: number;
  /**
   * CPU time (user + system) of this process during the import: unlike the wall time, not stretched
   * when other processes hold the cores, so the ratio to the bare import holds on a loaded machine.
   */
  importCpuMs?: number;
  /** From process start (Node's own boot included) to the end of the import. */
  sinceProcessStartMs: number;
  registrations: ProbeRegistration[];
  /** Files loaded (CommonJS and ESM), with --modules. */
  files?: string[];
  /** --sequence: milliseconds of each import, in order. */
  sequence?: Array<{ specifier: string; ms: number }>;
  /**
   * --invoke: the first request to that HTTP function (GET, no principal) after the import: what the
   * handler loads on first use (its lib/ code, the full configuration) plus the call. Status and ms.
   */
  firstRequest?: { status: number; ms: number };
}

/** A loader hook reporting every URL it loads to the main thread (ESM; CommonJS is in require.cache). */
const HOOKS = `
let port;
export function initialize(data) { port = data.port; }
export async function load(url, context, next) { port.postMessage(url); return next(url, context); }
`;

/** A file (absolute, or relative to the working directory) as a URL; anything else is a package specifier. */
function target(argument: string): string {
  return existsSync(argument) ? pathToFileURL(path.resolve(argument)).href : argument;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const urls = new Set<string>();
  const recordModules = args.includes('--modules');
  let port: MessageChannel['port1'] | undefined;
  if (recordModules) {
    const channel = new MessageChannel();
    port = channel.port1;
    port.on('message', (url: string) => urls.add(url));
    register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, { data: { port: channel.port2 }, transferList: [channel.port2] });
  }
  const result: ProbeResult = { importMs: 0, sinceProcessStartMs: 0, registrations: [] };
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  let host: LocalFunctionsHost;
  const sequenceAt = args.indexOf('--sequence');
  if (sequenceAt >= 0) {
    const specifiers = (args[sequenceAt + 1] ?? '').split(',').filter((specifier) => specifier !== '');
    const [first, ...rest] = specifiers;
    const before = performance.now();
    host = await LocalFunctionsHost.load(target(first ?? '@azure/functions'));
    result.sequence = [{ specifier: first ?? '@azure/functions', ms: performance.now() - before }];
    for (const specifier of rest) {
      const at = performance.now();
      await import(target(specifier));
      result.sequence.push({ specifier, ms: performance.now() - at });
    }
  } else {
    const invokeAt = args.indexOf('--invoke');
    const entry = args.find((argument, index) => !argument.startsWith('--') && (invokeAt < 0 || index !== invokeAt + 1));
    if (entry === undefined) throw new Error('usage: coldStartProbe <module> [--modules] [--invoke <http function>] | --sequence a,b,c');
    host = await LocalFunctionsHost.load(target(entry));
  }
  result.importMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  result.importCpuMs = (cpu.user + cpu.system) / 1000;
  result.sinceProcessStartMs = performance.now();
  const invoke = args.includes('--invoke') ? args[args.indexOf('--invoke') + 1] : undefined;
  if (invoke !== undefined) {
    const at = performance.now();
    const response = await host.invokeHttp(invoke, { method: 'GET', path: `/api/${invoke}` });
    result.firstRequest = { status: response.status, ms: performance.now() - at };
  }
  result.registrations = [...host.functions.values()].map(({ metadata }) => {
    const trigger = Object.values(metadata.bindings).find((binding) => /trigger$/i.test(binding.type));
    return { name: metadata.name, trigger: trigger?.type ?? '?', bindings: JSON.stringify(metadata.bindings) };
  });
  if (port !== undefined) {
    // The hook thread posts before it returns a module; let the last messages arrive.
    await new Promise((resolve) => setTimeout(resolve, 50));
    port.close();
    const { createRequire } = await import('node:module');
    const cjs = Object.keys(createRequire(import.meta.url).cache).map((file) => pathToFileURL(file).href);
    result.files = [...new Set([...cjs, ...urls])].filter((url) => url.startsWith('file:')).sort();
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
