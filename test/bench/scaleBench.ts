/**
 * The scale table: the default sweep (Resource Graph inventory, report only) over generated fleets
 * of growing size, each in a fresh process so its peak RSS (`process.resourceUsage().maxRSS`, the
 * kernel's high-water mark of the sweep process) is that sweep's own. The simulator runs in a child
 * of that process, as in sweepBench.ts, and its RSS is printed apart. One sweep per size (the
 * process's first: it also loads the SDKs, about 0.3 s). A script that prints figures, not a test.
 *
 *   node dist/test/bench/scaleBench.js [--sizes 5000,20000,50000] [--latency 50] [--concurrency 8]
 *
 * Each size keeps the default fleet's proportions: 50 clusters per subscription, 250 per Log
 * Analytics workspace, 10 locations (12 from 20,000 on, the generator's list).
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '5000,20000,50000' },
    latency: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '8' },
  },
});
const sweepBench = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sweepBench.js');

interface PhaseResult {
  wallMs: number;
  boundMs: number;
  calls: Record<string, number>;
  findings: number;
  errors: number;
  peakRssMb: number;
  simulatorRssMb: number;
}

/** The fleet for `clusters` in the default fleet's proportions. */
function fleetArgs(clusters: number): string[] {
  const subscriptions = Math.max(1, Math.round(clusters / 50));
  const workspaces = Math.max(1, Math.round(clusters / 250));
  const locations = clusters >= 20_000 ? 12 : 10;
  return ['--clusters', String(clusters), '--subscriptions', String(subscriptions), '--locations', String(locations), '--workspaces', String(workspaces)];
}

function run(args: string[]): string {
  const child = spawnSync(process.execPath, [sweepBench, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] });
  if (child.status !== 0) throw new Error(`sweepBench ${args.join(' ')} exited with ${child.status}`);
  return child.stdout;
}

/** Calls per service (the route's prefix: arm, graph, policy, logs). */
function perService(calls: Record<string, number>): string {
  const services = new Map<string, number>();
  for (const [route, count] of Object.entries(calls)) services.set(route.split('.')[0] ?? route, (services.get(route.split('.')[0] ?? route) ?? 0) + count);
  return [...services].map(([service, count]) => `${service} ${count}`).join(', ');
}

const sizes = values.sizes.split(',').map(Number);
const common = ['--latency', values.latency, '--concurrency', values.concurrency];
console.log(
  `# Scale: the default sweep (Resource Graph, report only), ${values.latency} ms per call, concurrency ${values.concurrency}, one fresh process per size`,
);
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}; load average at start ${loadavg()[0]?.toFixed(1)}`,
);
const rows: string[][] = [];
for (const clusters of sizes) {
  const args = [...fleetArgs(clusters), ...common];
  // The shape (row counts the bound needs) is computed in its own process, so generating the fleet
  // is charged neither to this script's nor to the sweep's RSS.
  const shape = run([...args, '--shape-only']).trim();
  const started = performance.now();
  const output = run([...args, '--phase', 'default', '--once', '--shape', shape]);
  const processMs = performance.now() - started;
  const line = output.split('\n').find((text) => text.startsWith('phase result: '));
  if (line === undefined) throw new Error(`no phase result for ${clusters} clusters`);
  const result = JSON.parse(line.slice('phase result: '.length)) as PhaseResult;
  const total = Object.values(result.calls).reduce((sum, count) => sum + count, 0);
  rows.push([
    clusters.toLocaleString('en-US'),
    `${(result.wallMs / 1000).toFixed(1)} s`,
    `${(result.boundMs / 1000).toFixed(1)} s`,
    (result.wallMs / result.boundMs).toFixed(2),
    `${total} (${perService(result.calls)})`,
    '—',
    `${result.peakRssMb} MB`,
    `${result.simulatorRssMb} MB`,
    'single',
    '—',
    `${result.findings}${result.errors > 0 ? `, ${result.errors} errors` : ''}`,
  ]);
  console.log(
    `${clusters} clusters: done in ${(processMs / 1000).toFixed(0)} s (process, including the simulator's start); load average ${loadavg()[0]?.toFixed(1)}`,
  );
}
const header = [
  'clusters',
  'wall',
  'bound',
  'wall / bound',
  'calls (per service)',
  'calls vs limit',
  'peak RSS, sweep process',
  'simulator RSS',
  'path',
  'fan-out',
  'findings',
];
console.log(`\n| ${header.join(' | ')} |\n| ${header.map(() => '---').join(' | ')} |`);
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
console.log('("—": filled by other parts of issue 19: calls against each documented limit, and the Durable fan-out for large fleets.)');
