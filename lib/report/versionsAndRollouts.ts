/**
 * The version spread and the rollout timeline of the fleet report. Pure; every value from the fleet
 * is escaped.
 */
import { escapeHtml } from '../alerts/vendors/markup/htmlText.js';
import { minorOf } from '../model/kubernetesVersions.js';
import type { ClusterRecord } from '../sweep/sweepRecordStore.js';
import type { ClusterStatusRecord } from '../upgrades/rolloutStore.js';
import type { RolloutView } from './fleetReport.js';
import { type SupportStatus, supportStatus } from './reportGroups.js';

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

/** A colour legend. */
export function legend(entries: ReadonlyArray<[string, string]>): string {
  return `<p class="legend">${entries.map(([label, colour]) => `<span><i class="swatch" style="background:${colour}"></i>${escapeHtml(label)}</span>`).join('')}</p>`;
}

/** Clusters per Kubernetes minor, coloured by AKS support status (read from their open version findings). */
export function versionSpread(clusters: readonly ClusterRecord[], openRules: ReadonlyMap<string, ReadonlySet<string>>): string {
  if (clusters.length === 0) return '<p class="muted">No sweep has recorded clusters yet.</p>';
  const byMinor = new Map<string, Record<SupportStatus, string[]>>();
  for (const cluster of clusters) {
    const minor = minorOf(cluster.kubernetesVersion) ?? 'unknown';
    const status = supportStatus(cluster.kubernetesVersion, openRules.get(cluster.resourceId.toLowerCase()) ?? new Set<string>());
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

/** Progressive upgrades, wave by wave, with where and why a halted one stopped. */
export function rolloutTimeline(rollouts: readonly RolloutView[]): string {
  if (rollouts.length === 0) return '<p class="muted">No rollouts recorded.</p>';
  return rollouts
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
