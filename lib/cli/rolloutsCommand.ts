/**
 * `fleetguard rollouts start|list|status|watch|approve|resume|abort|retry`: live rollouts on the
 * deployed app, through its HTTP API (lib/cli/rolloutsClient.ts) with an Entra token from
 * DefaultAzureCredential. Requests the app refuses (401, 403, 404, 409) end in one line on stderr.
 *
 * `watch` exit codes: 0 Completed, 3 Halted, 4 Failed, 5 Aborted (also terminated); every command
 * exits 1 when the app refuses or cannot be reached and 2 for unusable input or settings.
 */
import { readFileSync } from 'node:fs';

import type { TokenCredential } from '@azure/core-auth';
import Table from 'cli-table3';

import { apiAudience, apiBaseUrl, parseCliApiSettings } from '../config.js';
import { FleetGuardError } from '../errors.js';
import { rollbackView } from './rollbackView.js';
import {
  type LiveStatus,
  liveStatusSchema,
  type PlanView,
  type RolloutOperation,
  rolloutOutcomeSchema,
  type RolloutOutcomeView,
  RolloutsClient,
  type RolloutStatus,
} from './rolloutsClient.js';
import type { CommandOutput } from './sweepCommand.js';

export const WATCH_EXIT_CODES = { Completed: 0, Halted: 3, Failed: 4, Aborted: 5 } as const;

export interface RolloutsConnectionOptions {
  api?: string;
  audience?: string;
  functionKey?: string;
  json?: boolean;
}

/** What the commands need from their surroundings; main.ts gives the process's, tests their own. */
export interface RolloutsContext {
  output: CommandOutput;
  env: Record<string, string | undefined>;
  /** DefaultAzureCredential, built lazily by main.ts (its import costs start-up time). */
  credential: () => Promise<TokenCredential>;
  sleep?: (ms: number) => Promise<void>;
  /** True when stdout is a terminal: `watch` redraws in place instead of printing a line per change. */
  isTTY?: boolean;
}

/** The app's client from flags and settings (shared by every rollouts command). */
export async function clientOf(options: RolloutsConnectionOptions, context: RolloutsContext): Promise<RolloutsClient> {
  const settings = parseCliApiSettings(context.env);
  const apiUrl = options.api === undefined ? settings.apiUrl : apiBaseUrl(options.api, '--api');
  const audience = options.audience === undefined ? settings.audience : apiAudience(options.audience, '--audience');
  if (apiUrl === undefined)
    throw new FleetGuardError('config', "--api or FLEETGUARD_API_URL: required (the app's base URL, e.g. https://<app>.azurewebsites.net)");
  if (audience === undefined)
    throw new FleetGuardError('config', "--audience or FLEETGUARD_API_AUDIENCE: required (the app's Application ID URI, e.g. api://<appId>)");
  return new RolloutsClient({ apiUrl, audience, credential: await context.credential(), functionKey: options.functionKey ?? settings.functionKey });
}

export interface StartOptions extends RolloutsConnectionOptions {
  plan?: string;
  target?: string;
  wavesByTag?: string;
  maxParallel?: number;
  soakMinutes?: number;
  requireApproval?: boolean;
  approveWave?: string[];
  maxFailed?: number;
  upgradeType?: 'Full' | 'ControlPlaneOnly' | 'NodeImageOnly';
  respectMaintenanceWindows?: boolean;
  allowMultiMinorHops?: boolean;
  requireDistinctApprover?: boolean;
  dryRun?: boolean;
  allowEmpty?: boolean;
}

/** The request body: the plan file (a POST /api/rollouts body) with the flags on top. */
export function startRequest(options: StartOptions): Record<string, unknown> {
  let body: Record<string, unknown> = {};
  if (options.plan !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(options.plan, 'utf8')) as unknown;
    } catch (error) {
      throw new FleetGuardError('badInput', `--plan: cannot read ${options.plan} as JSON (${(error as Error).message})`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new FleetGuardError('badInput', `--plan: ${options.plan} must hold a JSON object (the POST /api/rollouts body)`);
    body = parsed as Record<string, unknown>;
  }
  const settings = { ...(body['waveSettings'] as Record<string, unknown> | undefined) };
  if (options.maxParallel !== undefined) settings['maxParallel'] = options.maxParallel;
  if (options.soakMinutes !== undefined) settings['soakMinutes'] = options.soakMinutes;
  if (options.requireApproval !== undefined) settings['requireApproval'] = options.requireApproval;
  const overrides = { ...(body['waveOverrides'] as Record<string, Record<string, unknown>> | undefined) };
  for (const wave of options.approveWave ?? []) overrides[wave] = { ...overrides[wave], requireApproval: true };
  const request: Record<string, unknown> = {
    ...body,
    ...(options.target === undefined ? {} : { target: options.target }),
    ...(options.wavesByTag === undefined ? {} : { waves: { byTag: options.wavesByTag } }),
    ...(Object.keys(settings).length === 0 ? {} : { waveSettings: { maxParallel: 1, soakMinutes: 30, requireApproval: false, ...settings } }),
    ...(Object.keys(overrides).length === 0 ? {} : { waveOverrides: overrides }),
    ...(options.maxFailed === undefined ? {} : { maxFailedClusters: options.maxFailed }),
    ...(options.upgradeType === undefined ? {} : { upgradeType: options.upgradeType }),
    ...(options.respectMaintenanceWindows === undefined ? {} : { respectMaintenanceWindows: options.respectMaintenanceWindows }),
    ...(options.allowMultiMinorHops === undefined ? {} : { allowMultiMinorHops: options.allowMultiMinorHops }),
    ...(options.requireDistinctApprover === undefined ? {} : { requireDistinctApprover: options.requireDistinctApprover }),
    ...(options.dryRun === true ? { dryRun: true } : {}),
    ...(options.allowEmpty === true ? { allowEmpty: true } : {}),
  };
  if (request['target'] === undefined) throw new FleetGuardError('badInput', '--target (or "target" in --plan) is required');
  if (request['waves'] === undefined) throw new FleetGuardError('badInput', '--waves-by-tag (or "waves" in --plan) is required');
  return request;
}

export async function rolloutsStartCommand(options: StartOptions, context: RolloutsContext): Promise<number> {
  const request = startRequest(options);
  const answer = await (await clientOf(options, context)).start(request);
  if (options.json === true) {
    context.output.stdout(JSON.stringify(answer, null, 2));
    return 0;
  }
  const distinct = new Set(answer.distinctApproverWaves ?? []);
  context.output.stdout(
    answer.dryRun === true ? `Plan (dry run, nothing started): ${planLine(answer.plan)}` : `Rollout ${answer.id ?? ''} started: ${planLine(answer.plan)}`,
  );
  const table = new Table({ head: ['Wave', 'Clusters', 'Moving', 'Excluded', 'Approval'], style: { head: [], border: [] } });
  for (const wave of answer.plan.waves) {
    const moving = wave.clusters.filter((cluster) => cluster.skipReason === undefined || cluster.skipReason === null).length;
    table.push([
      wave.name,
      String(wave.clusters.length + wave.excluded.length),
      String(moving),
      String(wave.excluded.length),
      wave.requireApproval ? (distinct.has(wave.name) ? 'yes, not by the requester' : 'yes') : 'no',
    ]);
  }
  context.output.stdout(table.toString());
  for (const entry of answer.plan.excluded) context.output.stdout(`  excluded ${shortName(entry.resourceId)}: ${entry.reason}`);
  if (answer.id !== undefined) context.output.stdout(`Follow it: fleetguard rollouts watch ${answer.id}`);
  return 0;
}

function planLine(plan: PlanView): string {
  const moving = plan.waves.reduce(
    (sum, wave) => sum + wave.clusters.filter((cluster) => cluster.skipReason === undefined || cluster.skipReason === null).length,
    0,
  );
  return `${plan.upgradeType} upgrade to ${plan.target}, ${plan.waves.length} waves, ${moving} clusters to upgrade, ${plan.excluded.length} excluded`;
}

export async function rolloutsListCommand(options: RolloutsConnectionOptions, context: RolloutsContext): Promise<number> {
  const { rollouts } = await (await clientOf(options, context)).list();
  if (options.json === true) {
    context.output.stdout(JSON.stringify({ rollouts }, null, 2));
    return 0;
  }
  if (rollouts.length === 0) {
    context.output.stdout('no rollouts');
    return 0;
  }
  const table = new Table({ head: ['Id', 'Created', 'Target', 'Status', 'Requested by', 'Waves', 'Clusters'], style: { head: [], border: [] } });
  for (const rollout of rollouts)
    table.push([
      rollout.rolloutId,
      rollout.createdAt,
      `${rollout.target} ${rollout.upgradeType}`,
      rollout.status ?? '',
      rollout.requestedBy,
      String(rollout.waves),
      String(rollout.clusters),
    ]);
  context.output.stdout(table.toString());
  return 0;
}

export async function rolloutsStatusCommand(id: string, options: RolloutsConnectionOptions, context: RolloutsContext): Promise<number> {
  const status = await (await clientOf(options, context)).get(id);
  if (options.json === true) context.output.stdout(JSON.stringify(status, null, 2));
  else for (const line of statusView(status)) context.output.stdout(line);
  return 0;
}

export async function rolloutsActionCommand(
  operation: RolloutOperation,
  id: string,
  options: RolloutsConnectionOptions,
  context: RolloutsContext,
): Promise<number> {
  const answer = await (await clientOf(options, context)).act(id, operation);
  if (options.json === true) context.output.stdout(JSON.stringify(answer, null, 2));
  else
    context.output.stdout(
      `${operation} of rollout ${answer.id} accepted${answer.by === undefined ? '' : ` (by ${answer.by})`}; follow it: fleetguard rollouts watch ${answer.id}`,
    );
  return 0;
}

export interface RetryOptions extends RolloutsConnectionOptions {
  /** Only these clusters (names or resource ids) of the rollout's failed and skipped ones. */
  cluster?: string[];
}

/** `retry`: a new rollout over the failed and skipped clusters of an ended one; one line naming it. */
export async function rolloutsRetryCommand(id: string, options: RetryOptions, context: RolloutsContext): Promise<number> {
  const answer = await (await clientOf(options, context)).retry(id, options.cluster);
  if (options.json === true) {
    context.output.stdout(JSON.stringify(answer, null, 2));
    return 0;
  }
  const names = answer.clusters.map((cluster) => shortName(cluster.resourceId));
  context.output.stdout(
    `retry of rollout ${answer.retryOf} started as rollout ${answer.id}${answer.by === undefined ? '' : ` (by ${answer.by})`}: ${names.length} cluster${names.length === 1 ? '' : 's'} (${names.join(', ')}) with the same plan; follow it: fleetguard rollouts watch ${answer.id}`,
  );
  return 0;
}

export interface WatchOptions extends RolloutsConnectionOptions {
  /** Seconds between polls (default 10). */
  interval?: number;
}

/** Polls until the rollout ends or halts; one line per change (or a redraw on a terminal); exit code by outcome. */
export async function rolloutsWatchCommand(id: string, options: WatchOptions, context: RolloutsContext): Promise<number> {
  const client = await clientOf(options, context);
  const sleep = context.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const intervalMs = Math.round((options.interval ?? 10) * 1000);
  let lastLine = '';
  let lastWaves: LiveStatus['waves'];
  for (;;) {
    const status = await client.get(id);
    const live = liveStatusSchema.safeParse(status.customStatus ?? {});
    if (live.success && live.data.waves !== undefined) lastWaves = live.data.waves;
    const ended = outcomeOf(status);
    const line = progressLine(status, live.success ? live.data : {}, lastWaves);
    if (options.json === true) {
      if (line !== lastLine)
        context.output.stdout(
          JSON.stringify({ at: status.lastUpdatedTime ?? null, runtimeStatus: status.runtimeStatus, customStatus: status.customStatus ?? null }),
        );
    } else if (context.isTTY === true) {
      context.output.stdout(`\x1b[2J\x1b[H${statusView(status).join('\n')}\n(refreshing every ${intervalMs / 1000} s; Ctrl-C stops watching, not the rollout)`);
    } else if (line !== lastLine) {
      context.output.stdout(line);
    }
    lastLine = line;
    if (ended !== undefined) {
      if (options.json === true) context.output.stdout(JSON.stringify({ outcome: ended, exitCode: WATCH_EXIT_CODES[ended], status }));
      else if (context.isTTY !== true) for (const row of statusView(status).slice(1)) context.output.stdout(row);
      if (options.json !== true)
        context.output.stdout(
          `Rollout ${id} ${ended}${ended === 'Halted' ? `: resume or abort it (fleetguard rollouts resume|abort ${id})` : ''} (exit ${WATCH_EXIT_CODES[ended]})`,
        );
      return WATCH_EXIT_CODES[ended];
    }
    await sleep(intervalMs);
  }
}

type Ending = keyof typeof WATCH_EXIT_CODES;

/** How the watch ends, or undefined while the rollout runs (waiting for approval still runs). */
function outcomeOf(status: RolloutStatus): Ending | undefined {
  if (status.runtimeStatus === 'Terminated') return 'Aborted';
  if (status.runtimeStatus === 'Failed') return 'Failed';
  if (status.runtimeStatus === 'Completed') {
    const outcome = rolloutOutcomeSchema.safeParse(status.output);
    const ended = outcome.success ? outcome.data.status : 'Failed';
    return ended === 'Completed' || ended === 'Halted' || ended === 'Aborted' ? ended : 'Failed';
  }
  const live = liveStatusSchema.safeParse(status.customStatus ?? {});
  return live.success && live.data.status === 'Halted' ? 'Halted' : undefined;
}

function progressLine(status: RolloutStatus, live: LiveStatus, waves: LiveStatus['waves']): string {
  const at = (status.lastUpdatedTime ?? '').replace(/\.\d+Z$/, 'Z');
  const outcome = status.runtimeStatus === 'Completed' ? rolloutOutcomeSchema.safeParse(status.output) : undefined;
  const state =
    outcome?.success === true
      ? outcome.data.status
      : status.runtimeStatus === 'Running' || status.runtimeStatus === 'Pending'
        ? (live.status ?? status.runtimeStatus)
        : status.runtimeStatus;
  const shown =
    outcome?.success === true
      ? outcome.data.waves.map((wave) => ({
          name: wave.name,
          status: wave.status,
          upgraded: wave.clusters.filter((cluster) => cluster.status === 'Upgraded').length,
          total: wave.clusters.length,
        }))
      : waves;
  const progress = (shown ?? []).map((wave) => `wave ${wave.name} ${wave.upgraded}/${wave.total} ${wave.status}`).join(' · ');
  const detail =
    state === 'WaitingForApproval'
      ? `wave ${live.wave ?? '?'} waits for approval: fleetguard rollouts approve ${status.id}`
      : state === 'Halted'
        ? `halted: ${(outcome?.success === true ? outcome.data.haltReason : live.haltReason) ?? ''}`
        : '';
  return [at, state.padEnd(18), progress, detail]
    .filter((part) => part !== '')
    .join('  ')
    .trimEnd();
}

interface ClusterRow {
  wave: string;
  cluster: string;
  status: string;
  versions: string;
  reason: string;
}

/** Cluster rows: the outcome once ended; else the recorded waves, then the plan for the rest. */
function clusterRows(status: RolloutStatus, outcome: RolloutOutcomeView | undefined): ClusterRow[] {
  const row = (
    wave: string,
    cluster: { resourceId: string; status: string; fromVersion: string; toVersion: string; reason?: string | null | undefined },
  ): ClusterRow => ({
    wave,
    cluster: shortName(cluster.resourceId),
    status: cluster.status,
    versions: cluster.fromVersion === cluster.toVersion ? cluster.fromVersion : `${cluster.fromVersion} → ${cluster.toVersion}`,
    reason: cluster.reason ?? '',
  });
  if (outcome !== undefined) return outcome.waves.flatMap((wave) => wave.clusters.map((cluster) => row(wave.name, cluster)));
  const rows = status.clusters.map((cluster) => row(cluster.wave, cluster));
  const recorded = new Set(status.clusters.map((cluster) => cluster.wave));
  const plan = (
    status.input as
      | {
          plan?: {
            waves?: Array<{
              name: string;
              clusters: Array<{ resourceId: string; fromVersion: string; toVersion: string; skipReason?: string | null }>;
              excluded: Array<{ resourceId: string; fromVersion: string; reason: string }>;
            }>;
          };
        }
      | undefined
  )?.plan;
  for (const wave of plan?.waves ?? []) {
    if (recorded.has(wave.name)) continue;
    for (const cluster of wave.clusters)
      rows.push(row(wave.name, { ...cluster, status: cluster.skipReason ? 'Skipped' : 'Pending', reason: cluster.skipReason ?? null }));
    for (const cluster of wave.excluded) rows.push(row(wave.name, { ...cluster, toVersion: cluster.fromVersion, status: 'Excluded' }));
  }
  return rows;
}

/** `status`: a header line, the waves and the clusters as tables, then the actions with their principals. */
export function statusView(status: RolloutStatus): string[] {
  const outcome = status.runtimeStatus === 'Completed' ? rolloutOutcomeSchema.safeParse(status.output) : undefined;
  const ended = outcome?.success === true ? outcome.data : undefined;
  const live = liveStatusSchema.safeParse(status.customStatus ?? {});
  const state =
    ended?.status ?? (status.runtimeStatus === 'Running' && live.success && live.data.status !== undefined ? live.data.status : status.runtimeStatus);
  const haltReason = ended?.haltReason ?? (live.success ? live.data.haltReason : undefined);
  const lines = [`Rollout ${status.id}: ${state}${haltReason ? ` (${haltReason})` : ''}`];
  const waves = ended
    ? ended.waves.map((wave) => ({
        name: wave.name,
        status: wave.status,
        upgraded: wave.clusters.filter((cluster) => cluster.status === 'Upgraded').length,
        total: wave.clusters.length,
      }))
    : live.success
      ? (live.data.waves ?? [])
      : [];
  if (waves.length > 0) {
    const table = new Table({ head: ['Wave', 'Status', 'Upgraded'], style: { head: [], border: [] } });
    for (const wave of waves) table.push([wave.name, wave.status, `${wave.upgraded}/${wave.total}`]);
    lines.push(table.toString());
  }
  const rows = clusterRows(status, ended);
  if (rows.length > 0) {
    const table = new Table({
      head: ['Wave', 'Cluster', 'Status', 'Version', 'Reason'],
      style: { head: [], border: [] },
      colWidths: [null, null, null, null, 60],
      wordWrap: true,
    });
    for (const row of rows) table.push([row.wave, row.cluster, row.status, row.versions, row.reason]);
    lines.push(table.toString());
  }
  lines.push(...rollbackView(status));
  for (const action of [...status.actions].sort((left, right) => left.at.localeCompare(right.at))) {
    lines.push(
      `  ${action.at} ${action.action} by ${action.by}${action.byObjectId === undefined ? '' : ` (oid ${action.byObjectId}${action.byAppId === undefined ? '' : `, app ${action.byAppId}`})`}`,
    );
  }
  if (status.retryOf !== undefined) lines.push(`  retries rollout ${status.retryOf}`);
  for (const retry of status.retries) lines.push(`  retried as rollout ${retry.id} by ${retry.by}: ${retry.clusters.map(shortName).join(', ')}`);
  return lines;
}

function shortName(resourceId: string): string {
  return resourceId.split('/').at(-1) ?? resourceId;
}
