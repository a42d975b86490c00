/**
 * Findings as a SARIF 2.1.0 log (OASIS, https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html)
 * that GitHub code scanning accepts. Pure: findings, the rule catalog and the tool version in, a
 * JSON-ready object out. What GitHub reads, per "SARIF support for code scanning"
 * (docs.github.com/code-security/reference/code-scanning/sarif-files/sarif-support-for-code-scanning):
 *
 * - `tool.driver.rules[]`: `id`, `name`, `shortDescription.text` and `fullDescription.text` (required,
 *   at most 1024 characters), `help.text` (required) and `help.markdown`, `helpUri`, `properties.tags`
 *   (filters) and `properties["security-severity"]`, a score GitHub maps as over 9.0 critical, 7.0–8.9
 *   high, 4.0–6.9 medium, 0.1–3.9 low (0.0 or absent: no security severity).
 * - `results[]`: `ruleId`, `level` (error, warning, note), `message.text`, `locations[]` (at least one,
 *   only the first is used; `physicalLocation.artifactLocation.uri` and `region.startLine` required) and
 *   `partialFingerprints` (GitHub uses only `primaryLocationLineHash`).
 *
 * A cluster is not a file. Like other cloud scanners (Prowler's SARIF output puts the resource name in
 * `artifactLocation.uri` and its finding id in `primaryLocationLineHash`), the location is the
 * cluster's ARM id as a relative URI on line 1, with the id itself in `logicalLocations` (kind
 * `resource`, SARIF §3.33.7), and the fingerprint is our finding fingerprint (rule, cluster, subject),
 * stable across sweeps.
 */
import type { Finding, Severity } from '../model/finding.js';
import { FRAMEWORKS } from '../model/ruleMetadata.js';
import type { CatalogRule } from '../rules/catalog.js';

/** The schema URI GitHub's examples use (SchemaStore's copy of the OASIS schema). */
export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

/** SARIF `level` of a severity: GitHub filters on error, warning, note. */
export const SARIF_LEVEL: Readonly<Record<Severity, 'error' | 'warning' | 'note'>> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

/**
 * `security-severity` per severity, inside GitHub's bands (critical is "over 9.0"). Informational
 * findings carry none: GitHub then shows them by `level` without a security severity.
 */
export const SECURITY_SEVERITY: Readonly<Record<Severity, string | undefined>> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '2.0',
  info: undefined,
};

/** GitHub's limit for `name`, `shortDescription.text` and `fullDescription.text`. */
const GITHUB_TEXT_LIMIT = 1024;
const GITHUB_NAME_LIMIT = 255;

export interface SarifInput {
  findings: readonly Finding[];
  /** Every rule the tool has (`ruleCatalog()`): the rules array does not change with what was found. */
  rules: readonly CatalogRule[];
  /** The package version (`fleetguard --version`). */
  version: string;
  /** False when the sweep could not run at all (`invocations[0].executionSuccessful`). */
  executionSuccessful: boolean;
  /** Problems of the run (partial sweeps), as tool execution notifications. */
  problems?: readonly string[];
}

function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/** The ARM id as a relative URI reference: each path segment percent-encoded, no leading slash. */
export function resourceUri(resourceId: string): string {
  return resourceId
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

function tagsOf(rule: CatalogRule): string[] {
  const frameworks = FRAMEWORKS.flatMap((framework) => (rule.frameworks?.[framework] ?? []).map((item) => `${framework}/${item}`));
  return ['security', 'aks', rule.group, `source/${rule.source}`, ...frameworks];
}

function descriptor(rule: CatalogRule) {
  const securitySeverity = SECURITY_SEVERITY[rule.severity];
  const help = `${rule.title}\n\nPractice: ${rule.practice}\nSeverity: ${rule.severity}\nGuidance: ${rule.docUrl}`;
  return {
    id: rule.id,
    name: clip(rule.id, GITHUB_NAME_LIMIT),
    shortDescription: { text: clip(rule.title, GITHUB_TEXT_LIMIT) },
    fullDescription: { text: clip(`${rule.title}. ${rule.practice}`, GITHUB_TEXT_LIMIT) },
    help: { text: help, markdown: `**${rule.title}**\n\n${rule.practice}\n\nSeverity: ${rule.severity}. [Microsoft guidance](${rule.docUrl})` },
    helpUri: rule.docUrl,
    defaultConfiguration: { level: SARIF_LEVEL[rule.severity] },
    properties: {
      tags: tagsOf(rule),
      ...(securitySeverity === undefined ? {} : { 'security-severity': securitySeverity }),
      precision: 'high',
    },
  };
}

/** A rule id a finding carries that the catalog does not know (an older row): described from the finding. */
function descriptorOfFinding(finding: Finding): CatalogRule {
  return {
    id: finding.ruleId,
    severity: finding.severity,
    title: finding.title,
    practice: finding.practice,
    group: 'workload',
    docUrl: finding.docUrl,
    source: 'arm',
  };
}

/** The SARIF log of one run of fleetguard over `findings`. */
export function toSarif(input: SarifInput) {
  const rules = [...input.rules];
  const indexById = new Map(rules.map((rule, index) => [rule.id, index]));
  for (const finding of input.findings) {
    if (!indexById.has(finding.ruleId)) {
      indexById.set(finding.ruleId, rules.length);
      rules.push(descriptorOfFinding(finding));
    }
  }
  const results = input.findings.map((finding) => ({
    ruleId: finding.ruleId,
    ruleIndex: indexById.get(finding.ruleId) ?? 0,
    level: SARIF_LEVEL[finding.severity],
    message: { text: `${finding.clusterName}: ${finding.title}${finding.subject === undefined ? '' : ` (${finding.subject})`}. ${finding.detail}` },
    locations: [
      {
        physicalLocation: { artifactLocation: { uri: resourceUri(finding.resourceId) }, region: { startLine: 1, startColumn: 1 } },
        logicalLocations: [
          {
            name: finding.subject ?? finding.clusterName,
            fullyQualifiedName: finding.subject === undefined ? finding.resourceId : `${finding.resourceId}/${finding.subject}`,
            kind: 'resource',
          },
        ],
      },
    ],
    partialFingerprints: {
      // GitHub reads only this key; codeql-action writes it as hex:occurrence.
      primaryLocationLineHash: `${finding.fingerprint.slice(0, 16)}:1`,
      'fleetguardFingerprint/v1': finding.fingerprint,
    },
    properties: {
      severity: finding.severity,
      subscriptionId: finding.subscriptionId,
      cluster: finding.clusterName,
      ...(finding.subject === undefined ? {} : { subject: finding.subject }),
    },
  }));
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0' as const,
    runs: [
      {
        tool: {
          driver: {
            name: 'fleetguard',
            semanticVersion: input.version,
            version: input.version,
            rules: rules.map(descriptor),
          },
        },
        invocations: [
          {
            executionSuccessful: input.executionSuccessful,
            toolExecutionNotifications: (input.problems ?? []).map((problem) => ({ level: 'warning' as const, message: { text: problem } })),
          },
        ],
        results,
      },
    ],
  };
}
