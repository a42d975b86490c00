/**
 * Output choices shared by the commands that print findings (`sweep`, `findings list`):
 * `--format table|json|csv|sarif` (`--json` is `--format json`), `--min-severity LEVEL` (what is
 * printed) and `--fail-on LEVEL` (exit {@link FAIL_ON_EXIT_CODE} when a finding at or above it exists).
 */
import { InvalidArgumentError } from 'commander';

import { FleetGuardError } from '../errors.js';
import { type Finding, SEVERITIES, type Severity, severityRank } from '../model/finding.js';
import { toCsv } from '../report/csv.js';

export const OUTPUT_FORMATS = ['table', 'json', 'csv', 'sarif'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/**
 * Exit status of `--fail-on` when a finding at or above the level exists. Not 1 (could not run) or 2
 * (unusable input), nor 3–5, which `snapshot capture` and `rollouts watch` give their own meanings
 * (README): a CI job can tell "found something" from "broke".
 */
export const FAIL_ON_EXIT_CODE = 6;

/** Commander parser of `--format`. */
export function outputFormatOf(value: string): OutputFormat {
  const format = OUTPUT_FORMATS.find((name) => name === value);
  if (format === undefined) throw new InvalidArgumentError(`expected one of ${OUTPUT_FORMATS.join(', ')}`);
  return format;
}

/** Commander parser of `--min-severity` and `--fail-on`. */
export function severityOf(value: string): Severity {
  const severity = SEVERITIES.find((name) => name === value.toLowerCase());
  if (severity === undefined) throw new InvalidArgumentError(`expected one of ${SEVERITIES.join(', ')}`);
  return severity;
}

/** The format asked for: `--format`, or `--json`; both only when they agree. */
export function chosenFormat(options: { format?: OutputFormat; json?: boolean }): OutputFormat {
  if (options.json === true && options.format !== undefined && options.format !== 'json') {
    throw new FleetGuardError('badInput', `--json and --format ${options.format} contradict each other (--json is --format json)`);
  }
  return options.format ?? (options.json === true ? 'json' : 'table');
}

/** Findings at or above `minimum` (all when undefined). */
export function atOrAbove<T extends { severity: Severity }>(findings: readonly T[], minimum: Severity | undefined): T[] {
  return minimum === undefined ? [...findings] : findings.filter((finding) => severityRank(finding.severity) >= severityRank(minimum));
}

/** `FAIL_ON_EXIT_CODE` when `--fail-on` is given and a finding reaches it, else `otherwise`. */
export function failOnStatus(findings: ReadonlyArray<{ severity: Severity }>, failOn: Severity | undefined, otherwise: number): number {
  if (failOn === undefined || otherwise !== 0) return otherwise;
  return atOrAbove(findings, failOn).length > 0 ? FAIL_ON_EXIT_CODE : otherwise;
}

/** Findings as CSV, one row each (RFC 4180, formula cells neutralised: lib/report/csv.ts). */
export function findingsCsv<T extends Finding & { status?: string; firstSeen?: string; lastSeen?: string }>(findings: readonly T[]): string {
  return toCsv<T>(
    [
      { header: 'severity', value: (finding) => finding.severity },
      { header: 'ruleId', value: (finding) => finding.ruleId },
      { header: 'cluster', value: (finding) => finding.clusterName },
      { header: 'subject', value: (finding) => finding.subject },
      { header: 'title', value: (finding) => finding.title },
      { header: 'status', value: (finding) => finding.status },
      { header: 'firstSeen', value: (finding) => finding.firstSeen },
      { header: 'lastSeen', value: (finding) => finding.lastSeen },
      { header: 'subscriptionId', value: (finding) => finding.subscriptionId },
      { header: 'resourceId', value: (finding) => finding.resourceId },
      {
        header: 'tags',
        value: (finding) =>
          Object.entries(finding.clusterTags)
            .map(([key, value]) => `${key}=${value}`)
            .join(';'),
      },
      { header: 'fingerprint', value: (finding) => finding.fingerprint },
      { header: 'docUrl', value: (finding) => finding.docUrl },
      { header: 'detail', value: (finding) => finding.detail },
    ],
    findings,
  );
}
