/**
 * Cold start of the Functions app: in one run, fresh Node processes (interleaved, so machine load
 * hits every variant alike) import (a) only `@azure/functions`, (b) the compiled entry
 * (package.json `main`) with all its registrations, (c) the esbuild bundle of it (built first),
 * and optionally (d) another build's entry (`--before <dir>`: a checkout with `dist/` built).
 * Prints median, p90 and min of the import time and of the whole process, the ratio to the bare
 * import, files loaded, the first request after the import, package sizes, and where the time
 * goes. A script, not a test.
 *
 *   node dist/test/bench/coldStartBench.js [--reps 15] [--before /path/to/old/checkout]
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { bundleFunctions, defaultBundleDir } from '../../lib/infra/bundleFunctions.js';
import { packageRoot } from '../../lib/packageRoot.js';
import type { ProbeResult } from './coldStartProbe.js';
import { HEAVY_SDKS } from './coldStartSdks.js';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '15' }, before: { type: 'string' } } });
const reps = Number(values.reps);
const root = packageRoot();
const probe = path.join(path.dirname(fileURLToPath(import.meta.url)), 'coldStartProbe.js');

function runProbe(args: string[]): { result: ProbeResult; wallMs: number } {
  const started = performance.now();
  // A clean environment: the defaults, as on a fresh Function App; no developer settings.
  const child = spawnSync(process.execPath, [probe, ...args], {
    cwd: root,
    encoding: 'utf8',
    // WEBSITE_AUTH_ENABLED: App Service sets it when authentication is on, as infra/main.bicep deploys the app.
    env: { PATH: process.env['PATH'] ?? '', WEBSITE_AUTH_ENABLED: 'True' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = performance.now() - started;
  if (child.status !== 0) throw new Error(`probe ${args.join(' ')} failed: ${child.stderr}`);
  return { result: JSON.parse(child.stdout) as ProbeResult, wallMs };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), min: sorted[0] ?? Number.NaN };
}

function packageOf(url: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  return match?.[1] ?? 'app';
}

function directorySize(directory: string): { bytes: number; files: number } {
  let bytes = 0;
  let files = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    bytes += statSync(path.join(entry.parentPath, entry.name)).size;
    files += 1;
  }
  return { bytes, files };
}

/** node_modules as `npm install --omit=dev` leaves it: what an unbundled deployment ships. */
function productionModulesSize(): { bytes: number; files: number; packages: number } {
  const listing = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' });
  const directories = [...new Set(listing.stdout.split('\n').filter((line) => line.includes('node_modules')))];
  let bytes = 0;
  let files = 0;
  for (const directory of directories) {
    // Nested node_modules are listed on their own; count each package's own files once.
    for (const entry of readdirSync(directory, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile() || path.relative(directory, entry.parentPath).split(path.sep).includes('node_modules')) continue;
      bytes += statSync(path.join(entry.parentPath, entry.name)).size;
      files += 1;
    }
  }
  return { bytes, files, packages: directories.length };
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { main: string };
const bundleStarted = performance.now();
await bundleFunctions();
const bundleMs = performance.now() - bundleStarted;
const variants: Array<{ label: string; target: string }> = [
  { label: 'bare @azure/functions', target: createRequire(path.join(root, 'package.json')).resolve('@azure/functions') },
  { label: `entry (${manifest.main})`, target: path.join(root, manifest.main) },
  { label: 'bundle (dist/bundle/index.js)', target: path.join(defaultBundleDir(), 'index.js') },
  ...(values.before === undefined ? [] : [{ label: 'before (--before entry)', target: path.join(values.before, manifest.main) }]),
];

console.log(`Cold start: Node ${process.version}, ${reps} fresh processes per variant (interleaved); bundle built in ${bundleMs.toFixed(0)} ms`);
const samples = variants.map(() => ({ importMs: [] as number[], wallMs: [] as number[], cpuMs: [] as number[] }));
runProbe([variants[0]!.target]); // warm the file cache once
for (let rep = 0; rep < reps; rep++) {
  variants.forEach((variant, index) => {
    const { result, wallMs } = runProbe([variant.target]);
    samples[index]!.importMs.push(result.importMs);
    samples[index]!.wallMs.push(wallMs);
    samples[index]!.cpuMs.push(result.importCpuMs ?? Number.NaN);
  });
}

const baseImport = stats(samples[0]!.importMs).median;
const baseWall = stats(samples[0]!.wallMs).median;
console.log('\nvariant                          import ms: median    p90    min  ×bare | process ms: median    p90  ×bare | files  registered');
const loaded = variants.map((variant) => runProbe([variant.target, '--modules']).result);
variants.forEach((variant, index) => {
  const importStats = stats(samples[index]!.importMs);
  const wallStats = stats(samples[index]!.wallMs);
  const result = loaded[index]!;
  console.log(
    `${variant.label.padEnd(32)} ${importStats.median.toFixed(0).padStart(17)} ${importStats.p90.toFixed(0).padStart(6)} ${importStats.min.toFixed(0).padStart(6)} ${(importStats.median / baseImport).toFixed(2).padStart(6)} | ` +
      `${wallStats.median.toFixed(0).padStart(18)} ${wallStats.p90.toFixed(0).padStart(6)} ${(wallStats.median / baseWall).toFixed(2).padStart(6)} | ${String(result.files?.length ?? 0).padStart(5)} ${String(result.registrations.length).padStart(11)}`,
  );
});
console.log('(import: from before the import to the end of the registrations; process: spawn to exit, Node boot included)');
// CPU time is not stretched by other processes on the cores: the ratio to read on a loaded machine.
const baseCpu = stats(samples[0]!.cpuMs).median;
console.log('\nvariant                          import CPU ms (user + system): median    min  ×bare');
variants.forEach((variant, index) => {
  const cpuStats = stats(samples[index]!.cpuMs);
  console.log(
    `${variant.label.padEnd(32)} ${cpuStats.median.toFixed(0).padStart(36)} ${cpuStats.min.toFixed(0).padStart(6)} ${(cpuStats.median / baseCpu).toFixed(2).padStart(6)}`,
  );
});

// Handlers load their lib/ code and the full configuration on their first call, so the first
// request pays what the import no longer does: import + first request is the cold start a caller sees.
const requestVariants = variants.slice(1);
const requestSamples = requestVariants.map(() => ({ requestMs: [] as number[], totalMs: [] as number[], status: 0 }));
for (let rep = 0; rep < Math.max(5, Math.ceil(reps / 2)); rep++) {
  requestVariants.forEach((variant, index) => {
    const { result } = runProbe([variant.target, '--invoke', 'report']);
    const sample = requestSamples[index]!;
    sample.requestMs.push(result.firstRequest?.ms ?? Number.NaN);
    sample.totalMs.push(result.importMs + (result.firstRequest?.ms ?? Number.NaN));
    sample.status = result.firstRequest?.status ?? 0;
  });
}
console.log('\nfirst request after the import: GET /api/report without a principal, median ms of fresh processes');
console.log(`${'variant'.padEnd(32)} ${'first request'.padStart(14)} ${'import + request'.padStart(17)} ${'status'.padStart(7)}`);
requestVariants.forEach((variant, index) => {
  const sample = requestSamples[index]!;
  console.log(
    `${variant.label.padEnd(32)} ${stats(sample.requestMs).median.toFixed(0).padStart(14)} ${stats(sample.totalMs).median.toFixed(0).padStart(17)} ${String(sample.status).padStart(7)}`,
  );
});

const entryLoaded = loaded[1]!;
const bundleLoaded = loaded[2]!;
const eager = HEAVY_SDKS.filter((name) => (entryLoaded.files ?? []).some((url) => packageOf(url) === name));
console.log(`\nheavy SDK packages loaded by the entry at import: ${eager.length === 0 ? 'none' : eager.join(', ')}`);
const describe = (result: ProbeResult) =>
  result.registrations.map((registration) => `${registration.name}:${registration.trigger}:${registration.bindings}`).sort();
const same = JSON.stringify(describe(entryLoaded)) === JSON.stringify(describe(bundleLoaded));
console.log(`bundle registers the same ${bundleLoaded.registrations.length} functions with identical bindings as the entry: ${same ? 'yes' : 'NO'}`);

const byPackage = new Map<string, number>();
for (const url of entryLoaded.files ?? []) byPackage.set(packageOf(url), (byPackage.get(packageOf(url)) ?? 0) + 1);
console.log(
  `files loaded by the entry, by package (top 12 of ${byPackage.size}): ${[...byPackage]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([name, count]) => `${name} ${count}`)
    .join(', ')}`,
);

// Where the time goes: each package imported in turn after @azure/functions, in fresh processes.
const sequence = [
  '@azure/functions',
  'durable-functions',
  'zod',
  'yaml',
  'croner',
  'semver',
  '@azure/core-rest-pipeline',
  '@azure/data-tables',
  '@azure/identity',
  '@azure/arm-containerservice',
  '@azure/arm-policyinsights',
  '@azure/arm-resources-subscriptions',
  '@azure/arm-resourcegraph',
  '@azure/monitor-query-logs',
];
const steps = new Map<string, number[]>(sequence.map((specifier) => [specifier, []]));
for (let rep = 0; rep < Math.max(3, Math.ceil(reps / 3)); rep++) {
  for (const step of runProbe(['--sequence', sequence.join(',')]).result.sequence ?? []) steps.get(step.specifier)?.push(step.ms);
}
console.log('\nincremental import cost, unbundled, each after the ones before it (median ms):');
console.log(
  sequence
    .map(
      (specifier) =>
        `  ${specifier.padEnd(36)} ${stats(steps.get(specifier) ?? [])
          .median.toFixed(0)
          .padStart(5)}`,
    )
    .join('\n'),
);

const bundleSize = directorySize(defaultBundleDir());
const production = productionModulesSize();
const startupBundleFiles = (bundleLoaded.files ?? []).filter((url) => url.includes('/dist/bundle/'));
const startupBytes = startupBundleFiles.reduce((sum, url) => sum + statSync(fileURLToPath(url)).size, 0);
console.log(
  `\npackage: dist/bundle ${mib(bundleSize.bytes)} in ${bundleSize.files} files (${mib(startupBytes)} in ${startupBundleFiles.length} read at start-up); production node_modules ${mib(production.bytes)} in ${production.files} files (${production.packages} packages)`,
);
