/**
 * The health gate's verdict, as the orchestrators compute it: pure arithmetic over two samples, with
 * no rule catalog behind it, so the orchestrators load nothing heavy at registration (cold start,
 * test/e2e/coldStart.test.ts). Which signals fail on any rise comes with each sample: the health
 * activity reads it from the rules' metadata (lib/upgrades/health.ts).
 */

/**
 * One measurement of a cluster. `anyRise`: the signals of `counts` that fail on any rise (the
 * others only on a clear rise); absent in samples recorded before it existed, read as none.
 */
export type HealthSample = { kind: 'measured'; counts: Record<string, number>; anyRise?: string[] } | { kind: 'inconclusive'; reason: string };

/**
 * A health batch's answer for one probe: its sample, or `retry` when what stopped the measurement
 * is something a retry can fix (429, 5xx, network), so only that probe is measured again. Batches
 * recorded before `retry` existed hold plain samples, which read the same.
 */
export type ProbeResult = HealthSample | { kind: 'retry'; reason: string };

/**
 * A measurement fails when a signal rises as its metadata says it must not: `anyRise` signals at
 * all, the others only when they clearly rise above the pre-upgrade baseline (more than twice it,
 * and more than 5 over it). Returns the first failing signal, or undefined.
 */
export function degradedSignal(baseline: Record<string, number>, after: Record<string, number>, anyRise: readonly string[]): string | undefined {
  const strict = new Set(anyRise);
  for (const [signal, count] of Object.entries(after)) {
    const before = baseline[signal] ?? 0;
    if (strict.has(signal) ? count > before : count > Math.max(before * 2, before + 5)) return `${signal} rose from ${before} to ${count}`;
  }
  return undefined;
}
