/**
 * The fleet report: one self-contained HTML page (inline CSS and SVG, no CDN, no external request;
 * a Content-Security-Policy says so). Everything is rendered on the server, so it reads the same
 * with JavaScript disabled; the small inline script only adds sorting and filtering to the table.
 * Pure: model in, HTML out. Every value from the fleet is escaped (`escapeHtml`, in element content
 * and in double-quoted attributes only), and the only links are our guidance links (`guidanceUrl`):
 * a finding's `docUrl` that is not one (a `javascript:` URL runs under this page's
 * `script-src 'unsafe-inline'`) is shown as text. The page embeds no data in its script, so no
 * fleet value can close the `<script>` element.
 */
import { guidanceUrl } from '../alerts/vendors/markup/docLinks.js';
import { escapeHtml } from '../alerts/vendors/markup/htmlText.js';
import type { StoredFinding } from '../findings/lifecycle.js';
import { SEVERITIES, type Severity, severityRank } from '../model/finding.js';
import { minorOf } from '../model/kubernetesVersions.js';
import type { Framework } from '../model/ruleMetadata.js';
import type { ClusterRecord, SweepRecord } from '../sweep/sweepRecordStore.js';
import type { ClusterStatusRecord } from '../upgrades/rolloutStore.js';
import { componentList } from './findingComponents.js';
import { frameworkView } from './frameworkView.js';
import { GROUP_TITLES, heatmapGroups, RULE_GROUPS, type SupportStatus, supportStatus } from './reportGroups.js';

export interface RolloutView {
  rolloutId: string;
  target: string;
  status: string;
  requestedBy: string;
  createdAt: string;
  clusters: ClusterStatusRecord[];
}

export interface FleetReportModel {
  generatedAt: string;
  /** Clusters as the latest sweep saw them. */
  clusters: ClusterRecord[];
  openFindings: StoredFinding[];
  /** Sweep records, newest first (as stored). */
  sweeps: SweepRecord[];
  rollouts: RolloutView[];
  /** Parts that could not be read; shown at the top so a partial report is never mistaken for a clean one. */
  problems: string[];
}

/** The guidance link of a finding, or its `docUrl` as text when it is not one of ours. */
function guidanceLink(docUrl: string): string {
  const url = guidanceUrl(docUrl);
  return url === undefined ? `<span class="muted">guidance: ${escapeHtml(docUrl)}</span>` : `<a href="${escapeHtml(url)}">guidance</a>`;
}

const SEVERITY_COLOURS: Record<Severity, string> = { critical: '#8b0000', high: '#d9480f', medium: '#f59f00', low: '#74c0fc', info: '#ced4da' };
const SUPPORT_COLOURS: Record<SupportStatus, string> = { supported: '#2b8a3e', ending: '#f59f00', unsupported: '#c92a2a', unknown: '#adb5bd' };
const ROLLOUT_COLOURS: Record<string, string> = {
  Upgraded: '#2b8a3e',
  Completed: '#2b8a3e',
  Running: '#1c7ed6',
  WaitingForApproval: '#7048e8',
  Failed: '#c92a2a',
  Halted: '#c92a2a',
  Aborted: '#868e96',
  Skipped: '#ced4da',
  Excluded: '#ced4da',
  NotStarted: '#ffffff',
};

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#212529;background:#f8f9fa}
header{background:#1b2a41;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:22px}header p{margin:0;opacity:.85}
main{padding:8px 28px 40px;max-width:1400px}section{background:#fff;border:1px solid #dee2e6;border-radius:6px;margin:18px 0;padding:14px 18px}
h2{font-size:18px;margin:0 0 6px}p.help{margin:0 0 12px;color:#495057}
.kpis{display:flex;gap:14px;flex-wrap:wrap}.kpi{border:1px solid #dee2e6;border-radius:6px;padding:8px 14px;min-width:130px}.kpi b{display:block;font-size:22px}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #e9ecef;padding:4px 6px;text-align:left;vertical-align:top}th{background:#f1f3f5}
.heat{overflow-x:auto}.heat table{width:auto}.heat td.cell{width:18px;min-width:18px;height:18px;padding:0}.heat th.rule{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:normal;font-size:11px;white-space:nowrap}
.legend span{display:inline-block;margin-right:12px}.swatch{display:inline-block;width:12px;height:12px;border:1px solid #adb5bd;vertical-align:middle;margin-right:4px}
.sev{display:inline-block;padding:0 6px;border-radius:3px;color:#fff;font-size:12px}.sev-medium,.sev-low,.sev-info{color:#212529}
.wave{display:flex;gap:6px;flex-wrap:wrap;align-items:center;margin:4px 0}.chip{border:1px solid #adb5bd;border-radius:4px;padding:1px 6px;font-size:12px}
.halt{color:#c92a2a;font-weight:bold}.halt-badge{background:#c92a2a;color:#fff;border-radius:3px;padding:0 5px;font-size:11px}.wave.halted{border-left:4px solid #c92a2a;padding-left:6px}.muted{color:#868e96}input[type=search]{padding:4px 8px;width:320px;margin-bottom:8px}
th[data-sort]{cursor:pointer}td.detail{max-width:520px;font-size:12px}
`;

/** Sort and filter for the findings table. The page works without it (the table is pre-sorted). */
const SCRIPT = `
(function(){var t=document.getElementById('findings-table');if(!t)return;var b=t.tBodies[0];
var f=document.getElementById('findings-filter');f.hidden=false;
f.addEventListener('input',function(){var q=f.value.toLowerCase();for(var r of b.rows){r.hidden=q!==''&&r.textContent.toLowerCase().indexOf(q)<0;}});
t.querySelectorAll('th[data-sort]').forEach(function(h,i){var asc=true;h.addEventListener('click',function(){var rows=Array.from(b.rows);
rows.sort(function(x,y){var a=x.cells[i].dataset.key||x.cells[i].textContent,c=y.cells[i].dataset.key||y.cells[i].textContent;return (asc?1:-1)*a.localeCompare(c,undefined,{numeric:true});});
asc=!asc;rows.forEach(function(r){b.appendChild(r);});});});})();
`;

function section(id: string, title: string, help: string, body: string): string {
  return `<section id="${id}"><h2>${escapeHtml(title)}</h2><p class="help">${help}</p>${body}</section>`;
}

function severityBadge(severity: Severity): string {
  return `<span class="sev sev-${severity}" style="background:${SEVERITY_COLOURS[severity]}">${severity}</span>`;
}

function legend(entries: ReadonlyArray<[string, string]>): string {
  return `<p class="legend">${entries.map(([label, colour]) => `<span><i class="swatch" style="background:${colour}"></i>${escapeHtml(label)}</span>`).join('')}</p>`;
}

function openRulesByCluster(findings: readonly StoredFinding[]): Map<string, Map<string, Severity>> {
  const byCluster = new Map<string, Map<string, Severity>>();
  for (const finding of findings) {
    const key = finding.resourceId.toLowerCase();
    const rules = byCluster.get(key) ?? new Map<string, Severity>();
    const current = rules.get(finding.ruleId);
    if (current === undefined || severityRank(finding.severity) > severityRank(current)) rules.set(finding.ruleId, finding.severity);
    byCluster.set(key, rules);
  }
  return byCluster;
}

const NOT_READ_COLOUR = '#dee2e6';

function heatmap(model: FleetReportModel, openRules: Map<string, Map<string, Severity>>): string {
  if (model.clusters.length === 0) return '<p class="muted">No sweep has recorded clusters yet.</p>';
  const groups = heatmapGroups();
  const groupRow = groups
    .map(({ title, rules, inCluster }) => `<th colspan="${rules.length}"${inCluster ? ' class="in-cluster"' : ''}>${escapeHtml(title)}</th>`)
    .join('');
  const ruleRow = groups.flatMap(({ rules }) => rules.map((rule) => `<th class="rule" title="${escapeHtml(rule)}">${escapeHtml(rule)}</th>`)).join('');
  const clusters = [...model.clusters].sort((left, right) => right.findings - left.findings || left.name.localeCompare(right.name));
  const rows = clusters.map((cluster) => {
    const rules = openRules.get(cluster.resourceId.toLowerCase()) ?? new Map<string, Severity>();
    // An in-cluster rule on a cluster whose objects were not read (or a sweep without the stage) has no verdict: grey, not green.
    const notRead = cluster.inCluster?.state === 'checked' ? undefined : `not read (${cluster.inCluster?.state ?? 'no in-cluster stage'})`;
    const cells = groups.flatMap(({ rules: groupRules, inCluster }) =>
      groupRules.map((rule) => {
        const severity = rules.get(rule);
        const unknown = severity === undefined && inCluster ? notRead : undefined;
        const label = `${cluster.name} · ${rule}: ${severity ?? unknown ?? 'no open finding'}`;
        const colour = severity !== undefined ? SEVERITY_COLOURS[severity] : unknown !== undefined ? NOT_READ_COLOUR : '#d3f9d8';
        return `<td class="cell" title="${escapeHtml(label)}" style="background:${colour}"><span hidden>${escapeHtml(severity ?? (unknown === undefined ? 'ok' : 'not read'))}</span></td>`;
      }),
    );
    return `<tr><th scope="row">${escapeHtml(cluster.name)}</th>${cells.join('')}</tr>`;
  });
  return `<div class="heat"><table><thead><tr><th rowspan="2">Cluster</th>${groupRow}</tr><tr>${ruleRow}</tr></thead><tbody>${rows.join('')}</tbody></table></div>${legend(
    [
      ['no open finding', '#d3f9d8'],
      ['not read (Kubernetes objects unreachable or unauthorized)', NOT_READ_COLOUR],
      ...SEVERITIES.map((severity): [string, string] => [severity, SEVERITY_COLOURS[severity]]),
    ],
  )}`;
}

function lineChart(points: ReadonlyArray<{ label: string; value: number }>, options: { max: number; unit: string; colour: string; title: string }): string {
  const width = 640;
  const height = 180;
  const pad = 36;
  if (points.length === 0) return `<p class="muted">${escapeHtml(options.title)}: no data yet.</p>`;
  const x = (index: number) => pad + (points.length === 1 ? (width - 2 * pad) / 2 : (index * (width - 2 * pad)) / (points.length - 1));
  const y = (value: number) => height - pad - (options.max === 0 ? 0 : (value / options.max) * (height - 2 * pad));
  const path = points.map((point, index) => `${x(index).toFixed(1)},${y(point.value).toFixed(1)}`).join(' ');
  const dots = points
    .map(
      (point, index) =>
        `<circle cx="${x(index).toFixed(1)}" cy="${y(point.value).toFixed(1)}" r="3" fill="${options.colour}"><title>${escapeHtml(`${point.label}: ${point.value}${options.unit}`)}</title></circle>`,
    )
    .join('');
  const first = points[0]?.label ?? '';
  const last = points.at(-1)?.label ?? '';
  return `<figure><svg role="img" aria-label="${escapeHtml(options.title)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">
<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="#adb5bd"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${height - pad}" stroke="#adb5bd"/>
<text x="4" y="${pad + 4}" font-size="11">${options.max}${escapeHtml(options.unit)}</text><text x="4" y="${height - pad}" font-size="11">0</text>
<text x="${pad}" y="${height - 8}" font-size="11">${escapeHtml(first)}</text><text x="${width - pad}" y="${height - 8}" font-size="11" text-anchor="end">${escapeHtml(last)}</text>
<polyline fill="none" stroke="${options.colour}" stroke-width="2" points="${path}"/>${dots}</svg><figcaption>${escapeHtml(options.title)}</figcaption></figure>`;
}

function complianceOverTime(model: FleetReportModel): string {
  const sweeps = [...model.sweeps].reverse();
  const label = (sweep: SweepRecord) => sweep.startedAt.slice(0, 16).replace('T', ' ');
  const policy = sweeps
    .filter((sweep) => sweep.policyCompliancePercent >= 0)
    .map((sweep) => ({ label: label(sweep), value: Math.round(sweep.policyCompliancePercent * 10) / 10 }));
  const findings = sweeps.map((sweep) => ({ label: label(sweep), value: sweep.findings }));
  const maxFindings = Math.max(10, ...findings.map((point) => point.value));
  return (
    lineChart(policy, { max: 100, unit: '%', colour: '#2b8a3e', title: 'Azure Policy compliance (share of compliant policy states)' }) +
    lineChart(findings, { max: maxFindings, unit: '', colour: '#d9480f', title: 'Findings per sweep' })
  );
}

function findingsTable(findings: readonly StoredFinding[]): string {
  if (findings.length === 0) return '<p>No open findings. Nothing to change.</p>';
  const sorted = [...findings].sort(
    (left, right) =>
      severityRank(right.severity) - severityRank(left.severity) ||
      left.clusterName.localeCompare(right.clusterName) ||
      left.ruleId.localeCompare(right.ruleId),
  );
  const rows = sorted.map(
    (finding) =>
      `<tr><td data-key="${5 - severityRank(finding.severity)}">${severityBadge(finding.severity)}</td><td>${escapeHtml(finding.clusterName)}</td><td>${escapeHtml(finding.ruleId)}</td><td>${escapeHtml(GROUP_TITLES[RULE_GROUPS[finding.ruleId] ?? 'monitoring'])}</td><td>${escapeHtml(finding.title)}</td><td class="detail">${escapeHtml(finding.detail)} ${guidanceLink(finding.docUrl)}${componentList(finding.components)}</td><td>${escapeHtml(finding.firstSeen.slice(0, 10))}</td></tr>`,
  );
  const headers = ['Severity', 'Cluster', 'Rule', 'Area', 'Finding', 'What to change', 'Open since'];
  return `<input type="search" id="findings-filter" placeholder="Filter: cluster, rule, text…" aria-label="Filter findings" hidden>
<noscript><p class="muted">Sorting and filtering need JavaScript; the table is sorted by severity, then cluster.</p></noscript>
<table id="findings-table"><thead><tr>${headers.map((header) => `<th data-sort scope="col">${header}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function versionSpread(model: FleetReportModel, openRules: Map<string, Map<string, Severity>>): string {
  if (model.clusters.length === 0) return '<p class="muted">No sweep has recorded clusters yet.</p>';
  const byMinor = new Map<string, Record<SupportStatus, string[]>>();
  for (const cluster of model.clusters) {
    const minor = minorOf(cluster.kubernetesVersion) ?? 'unknown';
    const status = supportStatus(cluster.kubernetesVersion, new Set(openRules.get(cluster.resourceId.toLowerCase())?.keys() ?? []));
    const entry = byMinor.get(minor) ?? { supported: [], ending: [], unsupported: [], unknown: [] };
    entry[status].push(cluster.name);
    byMinor.set(minor, entry);
  }
  const minors = [...byMinor.keys()].sort((left, right) =>
    left === 'unknown' ? 1 : right === 'unknown' ? -1 : left.localeCompare(right, undefined, { numeric: true }),
  );
  const max = Math.max(...[...byMinor.values()].map((entry) => Object.values(entry).reduce((sum, names) => sum + names.length, 0)));
  const barWidth = 480;
  const rows = minors.map((minor) => {
    const entry = byMinor.get(minor) ?? { supported: [], ending: [], unsupported: [], unknown: [] };
    let offset = 0;
    const segments = (Object.keys(SUPPORT_COLOURS) as SupportStatus[])
      .filter((status) => entry[status].length > 0)
      .map((status) => {
        const width = (entry[status].length / max) * barWidth;
        const rect = `<rect x="${offset.toFixed(1)}" y="0" width="${width.toFixed(1)}" height="18" fill="${SUPPORT_COLOURS[status]}"><title>${escapeHtml(`${minor} ${status}: ${entry[status].join(', ')}`)}</title></rect>`;
        offset += width;
        return rect;
      });
    const total = Object.values(entry).reduce((sum, names) => sum + names.length, 0);
    const statuses = (Object.keys(SUPPORT_COLOURS) as SupportStatus[])
      .filter((status) => entry[status].length > 0)
      .map((status) => `${entry[status].length} ${status}`)
      .join(', ');
    return `<tr><th scope="row">${escapeHtml(minor)}</th><td><svg width="${barWidth}" height="18" role="img" aria-label="${escapeHtml(`${minor}: ${statuses}`)}" xmlns="http://www.w3.org/2000/svg">${segments.join('')}</svg></td><td>${total} (${escapeHtml(statuses)})</td></tr>`;
  });
  return `<table style="width:auto"><thead><tr><th>Minor</th><th>Clusters</th><th>Count</th></tr></thead><tbody>${rows.join('')}</tbody></table>${legend(
    (Object.keys(SUPPORT_COLOURS) as SupportStatus[]).map((status): [string, string] => [
      status === 'ending' ? 'support ending soon' : status === 'unsupported' ? 'out of support' : status,
      SUPPORT_COLOURS[status],
    ]),
  )}`;
}

const NOT_STARTED = new Set(['NotStarted', 'Skipped', 'Excluded']);

/** Where a halted rollout stopped: the last wave that started, and the reason its clusters give. */
function haltPoint(rollout: RolloutView, waves: ReadonlyArray<[string, ClusterStatusRecord[]]>): { wave: string; reason: string } | undefined {
  if (rollout.status !== 'Halted' && rollout.status !== 'Failed' && rollout.status !== 'Aborted') return undefined;
  const started = waves.filter(([, clusters]) => clusters.some((cluster) => !NOT_STARTED.has(cluster.status)));
  const last = started.at(-1);
  if (last === undefined) return undefined;
  const explained = last[1].find((cluster) => cluster.reason !== '' && cluster.status !== 'Skipped' && cluster.status !== 'Excluded');
  const name = explained?.resourceId.split('/').pop() ?? '';
  return { wave: last[0], reason: explained === undefined ? rollout.status : `${name}: ${explained.reason}` };
}

function rolloutTimeline(model: FleetReportModel): string {
  if (model.rollouts.length === 0) return '<p class="muted">No rollouts recorded.</p>';
  return model.rollouts
    .map((rollout) => {
      const grouped = new Map<string, ClusterStatusRecord[]>();
      for (const cluster of rollout.clusters) grouped.set(cluster.wave, [...(grouped.get(cluster.wave) ?? []), cluster]);
      const waves = [...grouped.entries()].sort(([left], [right]) => left.localeCompare(right, undefined, { numeric: true }));
      const halt = haltPoint(rollout, waves);
      const waveRows = waves.map(([wave, clusters]) => {
        const chips = clusters.map((cluster) => {
          const name = cluster.resourceId.split('/').pop() ?? cluster.resourceId;
          const colour = ROLLOUT_COLOURS[cluster.status] ?? '#e9ecef';
          const text = `${name}: ${cluster.status} ${cluster.fromVersion} → ${cluster.toVersion}${cluster.reason ? ` (${cluster.reason})` : ''}`;
          return `<span class="chip" style="background:${colour};${colour === '#ffffff' || colour === '#ced4da' || colour === '#e9ecef' ? '' : 'color:#fff'}" title="${escapeHtml(text)}">${escapeHtml(name)} · ${escapeHtml(cluster.status)}</span>`;
        });
        const mark = halt?.wave === wave ? `<span class="halt"><span class="halt-badge">HALT</span> ${escapeHtml(halt.reason)}</span>` : '';
        return `<div class="wave${halt?.wave === wave ? ' halted' : ''}"><b>Wave ${escapeHtml(wave)}</b>${chips.join('')}${mark}</div>`;
      });
      return `<article><h3>${escapeHtml(rollout.target || '(target not recorded)')} · ${escapeHtml(rollout.status)} <small class="muted">${escapeHtml(rollout.rolloutId)} · started ${escapeHtml(rollout.createdAt.slice(0, 16).replace('T', ' ') || '?')} by ${escapeHtml(rollout.requestedBy || '?')}</small></h3>${waveRows.join('')}</article>`;
    })
    .join('');
}

/** How to render: which benchmark the framework view groups findings by (default CIS AKS). */
export interface RenderOptions {
  framework?: Framework;
}

export function renderFleetReport(model: FleetReportModel, options: RenderOptions = {}): string {
  const openRules = openRulesByCluster(model.openFindings);
  const latest = model.sweeps[0];
  const bySeverity = SEVERITIES.map((severity) => [severity, model.openFindings.filter((finding) => finding.severity === severity).length] as const);
  const kpis = [
    ['Clusters', String(model.clusters.length)],
    ['Open findings', String(model.openFindings.length)],
    ['Critical / high', `${bySeverity[0]?.[1] ?? 0} / ${bySeverity[1]?.[1] ?? 0}`],
    ['Policy compliance', latest === undefined || latest.policyCompliancePercent < 0 ? 'n/a' : `${latest.policyCompliancePercent}%`],
    ['Last sweep', latest === undefined ? 'never' : `${latest.startedAt.slice(0, 16).replace('T', ' ')} UTC (${latest.status})`],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AKS fleet report</title><style>${STYLE}</style></head>
<body><header><h1>AKS fleet report</h1><p>Security posture, Azure Policy compliance, Kubernetes versions and upgrade rollouts of every AKS cluster aks-fleet-guard sweeps. Generated ${escapeHtml(model.generatedAt.slice(0, 16).replace('T', ' '))} UTC.</p></header>
<main>
${model.problems.length === 0 ? '' : `<section id="problems" style="border-color:#c92a2a"><h2>Incomplete report</h2><p class="help">Some data could not be read; the sections below show what could.</p><ul>${model.problems.map((problem) => `<li>${escapeHtml(problem)}</li>`).join('')}</ul></section>`}
<section id="summary"><h2>At a glance</h2><div class="kpis">${kpis.map(([label, value]) => `<div class="kpi"><b>${escapeHtml(value ?? '')}</b>${escapeHtml(label ?? '')}</div>`).join('')}</div></section>
${section('posture', 'Fleet posture heatmap', "One row per cluster, one column per control, grouped by practice, with the in-cluster rules (read from each cluster's Kubernetes API) as their own group. A coloured cell is an open finding, coloured by its severity; green means the control passed at the last sweep; grey means the cluster's Kubernetes objects could not be read, so its in-cluster rules have no verdict. Hover a cell for details.", heatmap(model, openRules))}
${frameworkView(model, options.framework ?? 'cis-aks')}
${section('compliance', 'Compliance over time', 'Each point is one sweep. Policy compliance is the share of Azure Policy states that are compliant across the fleet; findings count every open problem the sweep saw.', complianceOverTime(model))}
${section('findings', 'Open findings', 'Everything that needs changing, worst first. "What to change" gives the fix (usually an az command) and a link to Microsoft guidance.', findingsTable(model.openFindings))}
${section('versions', 'Version spread', 'Clusters per Kubernetes minor version, coloured by AKS support status: out of support, support ending soon (the oldest supported minor, or an AKS end-of-support notice), or supported.', versionSpread(model, openRules))}
${section('rollouts', 'Rollouts', 'Progressive upgrades, wave by wave. Each chip is a cluster and its state (hover for versions and reasons); HALT marks the wave where a health gate or a failure stopped the rollout, and why. Later waves never started.', rolloutTimeline(model))}
</main><script>${SCRIPT}</script></body></html>
`;
}
