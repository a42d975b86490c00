/**
 * `fleetguard findings list|show`: the findings the sweeps stored, read from the configured storage
 * (the same settings as `report`). Status, severity and rule go into the table query (escaped by the
 * `odata` tag, lib/findings/findingsStore.ts); cluster, tags, silences and `--since` are applied here.
 */
import Table from 'cli-table3';

import { describeAcknowledgement } from '../alerts/acknowledged.js';
import type { Silence } from '../alerts/alert.js';
import { parseDuration } from '../alerts/alertingConfig.js';
import type { Acknowledgement } from '../alerts/interactionContract.js';
import { silenceMatches, tagsMatch } from '../alerts/routing.js';
import { createAzureClients } from '../app/clients.js';
import { getConfig, requireStorage } from '../config.js';
import { FleetGuardError } from '../errors.js';
import type { FindingsStore } from '../findings/findingsStore.js';
import type { FindingEvent, StoredFinding } from '../findings/lifecycle.js';
import { resourceKey } from '../model/cluster.js';
import { type Severity, severityRank } from '../model/finding.js';
import { toSarif } from '../report/sarif.js';
import { ruleCatalog, withFrameworks } from '../rules/catalog.js';
import { atOrAbove, failOnStatus, findingsCsv, type OutputFormat } from './formats.js';
import type { CommandOutput } from './sweepCommand.js';
import { packageVersion } from './version.js';

export const FINDING_STATUSES = ['open', 'resolved', 'silenced'] as const;
export type FindingStatusFilter = (typeof FINDING_STATUSES)[number];

export interface FindingsListOptions {
  status?: FindingStatusFilter;
  severity?: Severity[];
  minSeverity?: Severity;
  rule?: string[];
  cluster?: string;
  tag?: Record<string, string>;
  since?: string;
  format?: OutputFormat;
  json?: boolean;
  failOn?: Severity;
}

interface Stores {
  findings: FindingsStore;
  silences: () => Promise<Silence[]>;
  acknowledgements: (fingerprints: readonly string[]) => Promise<Map<string, Acknowledgement>>;
  table: string;
}

function stores(): Stores {
  const config = getConfig();
  requireStorage(config);
  const clients = createAzureClients(config);
  if (clients.findings === undefined || clients.alertStore === undefined) throw new FleetGuardError('config', 'storage is not configured');
  const alertStore = clients.alertStore;
  return {
    findings: clients.findings,
    silences: () => alertStore.listSilences(),
    acknowledgements: (fingerprints) => alertStore.acknowledgements.current(fingerprints),
    table: config.tables.findings,
  };
}

/** `--since`: an ISO time, or a duration back from `now` (`7d`, `12h`). */
export function sinceOf(value: string, now: Date): Date {
  if (/^\d+[smhd]$/.test(value.trim())) return new Date(now.getTime() - parseDuration(value));
  const time = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(time)) {
    throw new FleetGuardError('badInput', `--since ${value}: expected a duration such as 7d or 12h, or an ISO time such as 2026-11-01T00:00:00Z`);
  }
  return new Date(time);
}

/** The finding's state changes: as recorded, or (rows from before the history was kept) what its columns say. */
export function historyOf(finding: StoredFinding): FindingEvent[] {
  if (finding.history !== undefined && finding.history.length > 0) return finding.history;
  return [
    { kind: 'opened', at: finding.firstSeen, sweepId: '' },
    ...(finding.resolvedAt === undefined
      ? []
      : [{ kind: 'resolved' as const, at: finding.resolvedAt, sweepId: finding.sweepId, ...(finding.resolution ? { resolution: finding.resolution } : {}) }]),
  ];
}

function lastChange(finding: StoredFinding): string {
  return historyOf(finding).at(-1)?.at ?? finding.firstSeen;
}

function activeAt(silence: Silence, now: number): boolean {
  return Date.parse(silence.startsAt) <= now && now < Date.parse(silence.endsAt);
}

/** A rule id as the catalog spells it (the store compares exactly); an unknown id is kept as given (older rules). */
function canonicalRule(rule: string): string {
  return ruleCatalog().find((entry) => entry.id.toLowerCase() === rule.toLowerCase())?.id ?? rule;
}

function clusterMatches(wanted: string, finding: StoredFinding): boolean {
  return wanted.toLowerCase() === finding.clusterName.toLowerCase() || resourceKey(wanted) === resourceKey(finding.resourceId);
}

async function readStore<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    // No table yet: no sweep has stored anything. Said in words by the caller, not as an OData 404 body.
    if (error instanceof FleetGuardError && error.status === 404) return undefined;
    throw error;
  }
}

/** The stored findings that match every filter given, worst first. */
export async function selectFindings(
  options: FindingsListOptions,
  store: Stores,
  now: Date,
): Promise<{ findings: StoredFinding[]; silences: Silence[] } | undefined> {
  const since = options.since === undefined ? undefined : sinceOf(options.since, now);
  const stored = await readStore(() =>
    store.findings.listFindings({
      ...(options.status === undefined ? {} : { status: options.status === 'silenced' ? 'open' : options.status }),
      ...(options.severity === undefined ? {} : { severities: options.severity }),
      ...(options.rule === undefined ? {} : { ruleIds: options.rule.map(canonicalRule) }),
    }),
  );
  if (stored === undefined) return undefined;
  const silences = await store.silences();
  const active = silences.filter((silence) => activeAt(silence, now.getTime()));
  const findings = atOrAbove(stored, options.minSeverity)
    .filter((finding) => options.cluster === undefined || clusterMatches(options.cluster, finding))
    .filter((finding) => tagsMatch(options.tag, finding.clusterTags))
    .filter((finding) => since === undefined || lastChange(finding) >= since.toISOString())
    .filter((finding) => options.status !== 'silenced' || active.some((silence) => silenceMatches(silence, finding)))
    .sort(
      (left, right) =>
        severityRank(right.severity) - severityRank(left.severity) ||
        left.clusterName.localeCompare(right.clusterName) ||
        left.ruleId.localeCompare(right.ruleId),
    );
  return { findings, silences: active };
}

function statusLabel(finding: StoredFinding, silences: readonly Silence[]): string {
  return finding.status === 'open' && silences.some((silence) => silenceMatches(silence, finding)) ? 'silenced' : finding.status;
}

function formatTable(findings: readonly StoredFinding[], silences: readonly Silence[], width: number | undefined): string {
  const table = new Table({
    head: ['Severity', 'Rule', 'Cluster', 'Status', 'Since', 'Finding', 'Fingerprint'],
    wordWrap: true,
    style: { head: [], border: [] },
    ...(width === undefined ? {} : { colWidths: [10, 26, 18, 10, 12, Math.max(20, width - 10 - 26 - 18 - 10 - 12 - 14 - 8), 14] }),
  });
  for (const finding of findings) {
    table.push([
      finding.severity,
      finding.ruleId,
      finding.clusterName,
      statusLabel(finding, silences),
      lastChange(finding).slice(0, 10),
      `${finding.title}${finding.subject === undefined ? '' : ` (${finding.subject})`}`,
      finding.fingerprint.slice(0, 12),
    ]);
  }
  return table.toString();
}

export async function findingsListCommand(options: FindingsListOptions, output: CommandOutput, now = new Date()): Promise<number> {
  if (options.json === true && options.format !== undefined && options.format !== 'json') {
    throw new FleetGuardError('badInput', `--json and --format ${options.format} contradict each other (--json is --format json)`);
  }
  const format = options.format ?? (options.json === true ? 'json' : 'table');
  if (options.since !== undefined) sinceOf(options.since, now);
  const store = stores();
  const selected = await selectFindings(options, store, now);
  if (selected === undefined) {
    if (format === 'table') output.stdout(`No findings: no sweep has stored any yet (table ${store.table} does not exist).`);
    else if (format === 'json') output.stdout(JSON.stringify({ findings: [] }, null, 2));
    else if (format === 'csv') output.stdout(findingsCsv([]).slice(0, -1));
    else output.stdout(JSON.stringify(toSarif({ findings: [], rules: ruleCatalog(), version: packageVersion(), executionSuccessful: true }), null, 2));
    return 0;
  }
  const { findings, silences } = selected;
  switch (format) {
    case 'json':
      output.stdout(
        JSON.stringify(
          {
            findings: withFrameworks(findings).map((finding) => ({
              ...finding,
              history: historyOf(finding),
              silenced: statusLabel(finding, silences) === 'silenced',
            })),
          },
          null,
          2,
        ),
      );
      break;
    case 'csv':
      // Every record ends with CRLF (RFC 4180); output.stdout adds the final LF.
      output.stdout(findingsCsv(findings.map((finding) => ({ ...finding, status: statusLabel(finding, silences) }))).slice(0, -1));
      break;
    case 'sarif':
      output.stdout(JSON.stringify(toSarif({ findings, rules: ruleCatalog(), version: packageVersion(), executionSuccessful: true }), null, 2));
      break;
    case 'table':
      output.stdout(
        findings.length === 0
          ? 'No findings match.'
          : `${formatTable(findings, silences, output.width)}\n${findings.length} finding${findings.length === 1 ? '' : 's'}`,
      );
  }
  return failOnStatus(
    findings.filter((finding) => finding.status === 'open'),
    options.failOn,
    0,
  );
}

function describeEvent(event: FindingEvent): string {
  const what = event.kind === 'resolved' ? `resolved (${event.resolution === 'clusterGone' ? 'cluster gone' : 'no longer observed'})` : event.kind;
  return `${event.at}  ${what}${event.sweepId === '' ? '' : `  sweep ${event.sweepId}`}`;
}

/** `Acknowledged: by … in PagerDuty at …` and the incident's link, when there is one to show. */
function acknowledgementLines(acknowledgement: Acknowledgement | undefined): string[] {
  const words = describeAcknowledgement(acknowledgement);
  if (words === undefined || acknowledgement === undefined) return [];
  const label = `${acknowledgement.source === 'pagerduty' ? 'PagerDuty' : 'Slack'}:`.padEnd(13);
  return [`${label}${words}`, ...(acknowledgement.incidentUrl === undefined ? [] : [`Incident:    ${acknowledgement.incidentUrl}`])];
}

export async function findingsShowCommand(fingerprint: string, options: { json?: boolean }, output: CommandOutput, now = new Date()): Promise<number> {
  if (!/^[0-9a-f]{8,64}$/i.test(fingerprint))
    throw new FleetGuardError('badInput', `${fingerprint}: a fingerprint is 64 hex characters (or its first 8 or more)`);
  const store = stores();
  const matches = (await readStore(() => store.findings.findByFingerprint(fingerprint))) ?? [];
  if (matches.length === 0) throw new FleetGuardError('badInput', `no finding ${fingerprint} in table ${store.table}`);
  if (matches.length > 1) throw new FleetGuardError('badInput', `${fingerprint} starts ${matches.length} fingerprints; give more of it`);
  const finding = matches[0] as StoredFinding;
  const silences = (await store.silences()).filter((silence) => silenceMatches(silence, finding));
  const history = historyOf(finding);
  const acknowledgement = (await readStore(() => store.acknowledgements([finding.fingerprint])))?.get(finding.fingerprint);
  if (options.json === true) {
    output.stdout(
      JSON.stringify(
        { finding: { ...withFrameworks([finding])[0], history }, silences, ...(acknowledgement === undefined ? {} : { acknowledgement }) },
        null,
        2,
      ),
    );
    return 0;
  }
  const lines = [
    `${finding.severity.toUpperCase()}  ${finding.ruleId}  ${finding.title}${finding.subject === undefined ? '' : ` (${finding.subject})`}`,
    `Cluster:     ${finding.clusterName}  ${finding.resourceId}`,
    `Status:      ${statusLabel(
      finding,
      silences.filter((silence) => activeAt(silence, now.getTime())),
    )}${finding.timesOpened > 1 ? `, opened ${finding.timesOpened} times` : ''}`,
    ...acknowledgementLines(acknowledgement),
    `First seen:  ${finding.firstSeen}`,
    `Last seen:   ${finding.lastSeen}`,
    `Fingerprint: ${finding.fingerprint}`,
    '',
    finding.detail,
    `Guidance:    ${finding.docUrl}`,
    '',
    'History:',
    ...history.map((event) => `  ${describeEvent(event)}`),
    '',
    silences.length === 0 ? 'Silences: none matches it.' : 'Silences that match it:',
    ...silences.map(
      (silence) =>
        `  ${activeAt(silence, now.getTime()) ? 'active ' : Date.parse(silence.startsAt) > now.getTime() ? 'pending' : 'ended  '}  ${silence.startsAt} → ${silence.endsAt}  by ${silence.createdBy}${silence.expiredBy === undefined ? '' : `, ended early by ${silence.expiredBy}`}: ${silence.comment}  (${silence.id})`,
    ),
  ];
  output.stdout(lines.join('\n'));
  return 0;
}
