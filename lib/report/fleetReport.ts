/**
 * The fleet report: one self-contained HTML page (inline CSS and SVG, no CDN, no external request; a
 * Content-Security-Policy says so and allows only the page's own script, by hash: reportScript.ts).
 * Everything is rendered on the server, so it reads the same with JavaScript disabled; the script
 * only adds sorting and the filters. Written for a first-time reader: what is at stake first (scores
 * per practice, what changed since the previous sweep), then where (heatmap, findings with the
 * commands that fix them), then trends, benchmarks, versions and rollouts. It never scrolls sideways:
 * long ARM ids live in link tooltips, commands and paths wrap, and narrow screens get one card per
 * finding. Pure: model in, HTML out. Every value from the fleet is escaped (`escapeHtml`, in element
 * content and in double-quoted attributes only), and the only links are our guidance links
 * (`guidanceUrl`) and the Azure portal (`portalLink.ts`).
 */
import type { Acknowledgement } from '../alerts/interactionContract.js';
import { escapeHtml } from '../alerts/vendors/markup/htmlText.js';
import type { StoredFinding } from '../findings/lifecycle.js';
import { SEVERITIES } from '../model/finding.js';
import type { Framework } from '../model/ruleMetadata.js';
import type { ClusterRecord, SweepRecord } from '../sweep/sweepRecordStore.js';
import type { ClusterStatusRecord } from '../upgrades/rolloutStore.js';
import { changesSince, findingsTable, newSince, SEVERITY_COLOURS } from './findingsTable.js';
import { frameworkView } from './frameworkView.js';
import { heatmap, practiceScoreTable } from './heatmap.js';
import { REPORT_META_POLICY, REPORT_SCRIPT } from './reportScript.js';
import { timeChart } from './timeChart.js';
import { legend, rolloutTimeline, versionSpread } from './versionsAndRollouts.js';

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
  /** Findings resolved after the previous sweep started (empty before a second sweep). */
  resolvedFindings?: StoredFinding[];
  /** Sweep records, newest first (as stored). */
  sweeps: SweepRecord[];
  rollouts: RolloutView[];
  /** Parts that could not be read; shown at the top so a partial report is never mistaken for a clean one. */
  problems: string[];
  /** The storage the report was read from, in words without secrets (storageLabel.ts); named when no sweep has run yet. */
  storage?: string;
  /** Acknowledgements of open findings (PagerDuty, Slack), by fingerprint. */
  acknowledgements?: ReadonlyMap<string, Acknowledgement>;
}

const NOT_READ_COLOUR = '#dee2e6';
const PASS_COLOUR = '#d3f9d8';

const STYLE = `
*,*::before,*::after{box-sizing:border-box}[hidden]{display:none!important}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#212529;background:#f8f9fa}
header{background:#1b2a41;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:22px}header p{margin:0;opacity:.85}
main{padding:8px 28px 40px;max-width:1400px;margin:0 auto}section{background:#fff;border:1px solid #dee2e6;border-radius:6px;margin:18px 0;padding:14px 18px;min-width:0}
h2{font-size:18px;margin:0 0 6px}h3{font-size:15px;margin:12px 0 6px}p.help{margin:0 0 12px;color:#495057}
a{color:#1864ab}.kpis{display:flex;gap:14px;flex-wrap:wrap}.kpi{border:1px solid #dee2e6;border-radius:6px;padding:8px 14px;min-width:130px}.kpi b{display:block;font-size:22px}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #e9ecef;padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:anywhere}th{background:#f1f3f5}
code.cmd{font:12px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f1f3f5;border:1px solid #e9ecef;border-radius:3px;padding:0 4px;white-space:pre-wrap;overflow-wrap:anywhere;user-select:all}
.legend span{display:inline-block;margin-right:12px}.swatch{display:inline-block;width:12px;height:12px;border:1px solid #adb5bd;vertical-align:middle;margin-right:4px}
.sev{display:inline-block;padding:0 6px;border-radius:3px;color:#fff;font-size:12px}.sev-medium,.sev-low,.sev-info{color:#212529}
${SEVERITIES.map((severity) => `.sev-${severity}{background:${SEVERITY_COLOURS[severity]}}`).join('')}
.new-badge{background:#1c7ed6;color:#fff;border-radius:3px;padding:0 5px;font-size:11px}.policy{font-size:12px}
.heat{overflow-x:auto}#heatmap{width:auto}#heatmap th.rule{position:sticky;left:0;z-index:1;background:#fff;font-weight:normal;min-width:200px;max-width:340px}
#heatmap th{overflow-wrap:break-word}#heatmap th.corner{position:sticky;left:0;z-index:1}#heatmap th.cluster{font-size:12px;min-width:40px;max-width:96px;vertical-align:bottom;text-align:center}
#heatmap tr.group th{background:#e7f5ff;font-weight:bold}#heatmap td.cell{min-width:34px;height:24px;padding:0;text-align:center;vertical-align:middle;font-size:11px;font-weight:bold}
#heatmap td.cell a{display:block;line-height:24px;color:inherit;text-decoration:none}#heatmap td.pass{background:${PASS_COLOUR}}#heatmap td.not-read{background:${NOT_READ_COLOUR};color:#868e96}
#heatmap td.sev-critical a,#heatmap td.sev-high a{color:#fff}
tr:target{outline:3px solid #1c7ed6;outline-offset:-3px}
.scores{width:auto;max-width:100%}.scores td.score{font-weight:bold;text-align:right}.barcell{width:220px}.bar{display:block;height:12px;background:#e9ecef;border-radius:6px;overflow:hidden;min-width:120px}
.fill{display:block;height:100%}.fill.good{background:#2b8a3e}.fill.fair{background:#f59f00}.fill.poor{background:#c92a2a}
figure.chart{margin:0 0 12px}figure.chart svg{width:100%;max-width:720px;height:auto;display:block}figcaption{color:#495057}
.wave{display:flex;gap:6px;flex-wrap:wrap;align-items:center;margin:4px 0}.chip{border:1px solid #adb5bd;border-radius:4px;padding:1px 6px;font-size:12px}
.halt{color:#c92a2a;font-weight:bold}.halt-badge{background:#c92a2a;color:#fff;border-radius:3px;padding:0 5px;font-size:11px}.wave.halted{border-left:4px solid #c92a2a;padding-left:6px}.muted{color:#868e96}
#filters{position:sticky;top:0;z-index:2;background:#fff;border:1px solid #dee2e6;border-radius:6px;margin:18px 0 0;padding:8px 14px;display:flex;flex-wrap:wrap;gap:8px 16px;align-items:center}
#filters label{font-size:13px}#filters select,#filters input{margin-left:4px;max-width:260px;padding:2px 4px}#filter-count{color:#495057;font-size:13px}
th[data-sort]{cursor:pointer}td.detail{font-size:12px}
#findings-table th{overflow-wrap:normal}#findings-table td:first-child,#findings-table td:last-child{white-space:nowrap}#findings-table td:nth-child(2){min-width:9em}#findings-table td:nth-child(3){min-width:14em}
@media (max-width:960px){main{padding:8px 12px 32px}header{padding:14px 12px}section{padding:12px}
table.stack thead{display:none}table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}table.stack tr{border:1px solid #dee2e6;border-radius:4px;margin:0 0 8px;padding:4px 6px}
table.stack td{border:none;padding:2px 0}}
`;

function section(id: string, title: string, help: string, body: string): string {
  return `<section id="${id}"><h2>${escapeHtml(title)}</h2><p class="help">${help}</p>${body}</section>`;
}

function utc(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

/** Open rule ids per cluster (lower-cased id), for the version spread. */
function openRulesByCluster(findings: readonly StoredFinding[]): Map<string, Set<string>> {
  const byCluster = new Map<string, Set<string>>();
  for (const finding of findings) {
    const key = finding.resourceId.toLowerCase();
    byCluster.set(key, (byCluster.get(key) ?? new Set<string>()).add(finding.ruleId));
  }
  return byCluster;
}

function complianceOverTime(sweeps: readonly SweepRecord[]): string {
  const oldestFirst = [...sweeps].reverse();
  const policy = oldestFirst
    .filter((sweep) => sweep.policyCompliancePercent >= 0)
    .map((sweep) => ({ at: sweep.startedAt, value: Math.round(sweep.policyCompliancePercent * 10) / 10 }));
  const findings = oldestFirst.map((sweep) => ({ at: sweep.startedAt, value: sweep.findings }));
  const maxFindings = Math.max(10, ...findings.map((point) => point.value));
  return (
    timeChart(policy, { max: 100, unit: '%', colour: '#2b8a3e', title: 'Azure Policy compliance (share of compliant policy states)' }) +
    timeChart(findings, { max: maxFindings, unit: '', colour: '#d9480f', title: 'Findings per sweep' })
  );
}

/** The filter bar: options from the clusters and findings on the page; hidden until the script shows it. */
function filterBar(model: FleetReportModel): string {
  const subscriptions = new Set<string>();
  const tags = new Set<string>();
  for (const cluster of model.clusters) {
    subscriptions.add(cluster.subscriptionId.toLowerCase());
    for (const [key, value] of Object.entries(cluster.tags)) tags.add(`${key}=${value}`);
  }
  for (const finding of [...model.openFindings, ...(model.resolvedFindings ?? [])]) {
    subscriptions.add(finding.subscriptionId.toLowerCase());
    for (const [key, value] of Object.entries(finding.clusterTags)) tags.add(`${key}=${value}`);
  }
  const options = (values: Iterable<string>) =>
    [...values]
      .sort()
      .map((value) => `<option value="${escapeHtml(value)}">${escapeHtml(value)}</option>`)
      .join('');
  const severities = SEVERITIES.map(
    (severity, index) => `<option value="${severity}">${severity}${index < SEVERITIES.length - 1 ? ' and worse' : ''}</option>`,
  ).join('');
  return `<nav id="filters" aria-label="Filters" hidden><b>Filter</b>
<label>Subscription<select id="filter-sub"><option value="">all</option>${options(subscriptions)}</select></label>
<label>Tag<select id="filter-tag"><option value="">any</option>${options(tags)}</select></label>
<label>Severity<select id="filter-sev"><option value="">any</option>${severities}</select></label>
<label>Text<input type="search" id="findings-filter" placeholder="cluster, rule, text…" aria-label="Filter findings by text"></label>
<span id="filter-count" aria-live="polite"></span></nav>`;
}

function page(body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${REPORT_META_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AKS fleet report</title><style>${STYLE}</style></head>
<body>${body}<script>${REPORT_SCRIPT}</script></body></html>
`;
}

function header(model: FleetReportModel): string {
  return `<header><h1>AKS fleet report</h1><p>Security posture, Azure Policy compliance, Kubernetes versions and upgrade rollouts of every AKS cluster aks-fleet-guard sweeps. Generated ${escapeHtml(utc(model.generatedAt))}.</p></header>`;
}

/**
 * True when the report has nothing to show because no sweep was ever recorded: no sweep record, no
 * cluster, no open finding (an Event Grid event can open one before the first sweep), and nothing
 * failed to read (a read failure is an incomplete report, not an empty one).
 */
export function noSweepYet(model: FleetReportModel): boolean {
  return model.sweeps.length === 0 && model.clusters.length === 0 && model.openFindings.length === 0 && model.problems.length === 0;
}

/** The page when no sweep has run against the storage: says so, and how to get one. */
function noSweepPage(model: FleetReportModel): string {
  const where = model.storage ?? 'this storage';
  return page(`${header(model)}<main><section id="no-sweep"><h2>No sweep has run yet</h2><p>No sweep has run yet against ${escapeHtml(where)}, so there is nothing to report: no clusters, no findings, no compliance history. This is not a clean bill of health.</p>
<p>Run a sweep, then write the report again:</p><p><code class="cmd">fleetguard sweep</code> then <code class="cmd">fleetguard report --out report.html</code></p>
<p class="muted">Deployed, the <code>fleetSweep</code> timer function sweeps on its schedule. To see a report without Azure: <code class="cmd">fleetguard report --demo --out report.html</code> or <code class="cmd">fleetguard report --snapshot DIR --out report.html</code>.</p></section>
${model.rollouts.length === 0 ? '' : section('rollouts', 'Rollouts', 'Progressive upgrades recorded in this storage.', rolloutTimeline(model.rollouts))}</main>`);
}

/** How to render: which benchmark the framework view groups findings by (default CIS AKS). */
export interface RenderOptions {
  framework?: Framework;
}

export function renderFleetReport(model: FleetReportModel, options: RenderOptions = {}): string {
  if (noSweepYet(model)) return noSweepPage(model);
  const latest = model.sweeps[0];
  const previousStart = model.sweeps[1]?.startedAt;
  const resolved = model.resolvedFindings ?? [];
  const bySeverity = SEVERITIES.map((severity) => model.openFindings.filter((finding) => finding.severity === severity).length);
  const kpis = [
    ['Clusters', String(model.clusters.length)],
    ['Open findings', String(model.openFindings.length)],
    ['Critical / high', `${bySeverity[0] ?? 0} / ${bySeverity[1] ?? 0}`],
    [
      'New / resolved since the previous sweep',
      previousStart === undefined ? 'first sweep' : `${newSince(model.openFindings, previousStart).length} / ${resolved.length}`,
    ],
    ['Policy compliance now', latest === undefined || latest.policyCompliancePercent < 0 ? 'n/a' : `${Math.round(latest.policyCompliancePercent * 10) / 10}%`],
    ['Last sweep', latest === undefined ? 'never' : `${utc(latest.startedAt)} (${latest.status})`],
  ];
  const openRules = openRulesByCluster(model.openFindings);
  const heatLegend = legend([
    ['no open finding', PASS_COLOUR],
    ['? not read (Kubernetes objects unreachable or unauthorized)', NOT_READ_COLOUR],
    ...SEVERITIES.map((severity): [string, string] => [`${severity.charAt(0).toUpperCase()} ${severity}`, SEVERITY_COLOURS[severity]]),
  ]);
  return page(`${header(model)}
<main>
${model.problems.length === 0 ? '' : `<section id="problems" style="border-color:#c92a2a"><h2>Incomplete report</h2><p class="help">Some data could not be read; the sections below show what could.</p><ul>${model.problems.map((problem) => `<li>${escapeHtml(problem)}</li>`).join('')}</ul></section>`}
<section id="summary"><h2>At a glance</h2><div class="kpis">${kpis.map(([label, value]) => `<div class="kpi"><b>${escapeHtml(value ?? '')}</b>${escapeHtml(label ?? '')}</div>`).join('')}</div></section>
${filterBar(model)}
${section('scores', 'Scores by practice', 'For each practice, the share of checks (one rule on one cluster) with no open finding at the latest sweep. In-cluster rules of clusters whose Kubernetes objects could not be read have no verdict and count in neither total.', practiceScoreTable(model.clusters, model.openFindings))}
${section('changes', 'Since the previous sweep', 'Findings opened since the previous sweep started (by the latest sweep or an Event Grid event), and findings resolved since then.', changesSince(model.openFindings, resolved, previousStart))}
${section('posture', 'Fleet posture heatmap', "One row per control, grouped by practice; one column per cluster (the name opens it in the Azure portal). A coloured cell is an open finding, coloured and lettered by its severity: select it to jump to the finding. Green means the control passed at the last sweep; grey (?) means the cluster's Kubernetes objects could not be read, so its in-cluster rules have no verdict.", heatmap(model.clusters, model.openFindings) + heatLegend)}
${section('findings', 'Open findings', 'Everything that needs changing, worst first. "What to change" gives the fix, with the commands to run set as code, and a link to Microsoft guidance; the cluster name opens the cluster in the Azure portal.', findingsTable(model.openFindings, previousStart, model.acknowledgements))}
${section('compliance', 'Compliance over time', 'Each point is one sweep, placed at the time it ran. Policy compliance is the share of Azure Policy states that are compliant across the fleet; findings count every open problem the sweep saw.', complianceOverTime(model.sweeps))}
${frameworkView(model, options.framework ?? 'cis-aks')}
${section('versions', 'Version spread', 'Clusters per Kubernetes minor version, coloured by AKS support status: out of support, support ending soon (the oldest supported minor, or an AKS end-of-support notice), or supported.', versionSpread(model.clusters, openRules))}
${section('rollouts', 'Rollouts', 'Progressive upgrades, wave by wave. Each chip is a cluster and its state (hover for versions and reasons); HALT marks the wave where a health gate or a failure stopped the rollout, and why. Later waves never started.', rolloutTimeline(model.rollouts))}
</main>`);
}
