/**
 * `fleetguard silence create|list|expire`: silences in the configured findings storage, under the
 * same limits as the HTTP API (lib/alerts/silencesApi.ts): at most FLEETGUARD_MAX_ACTIVE_SILENCES
 * active, none longer than FLEETGUARD_MAX_SILENCE_DURATION. A rule must be one the catalog knows;
 * `--rule` may be repeated and creates one silence per rule (a silence matches one rule id).
 */
import Table from 'cli-table3';

import type { Silence } from '../alerts/alert.js';
import { parseDuration } from '../alerts/alertingConfig.js';
import type { AlertStore } from '../alerts/alertStore.js';
import { formatDuration } from '../alerts/silencesApi.js';
import { createAzureClients } from '../app/clients.js';
import { type FleetGuardConfig, getConfig, requireStorage } from '../config.js';
import { FleetGuardError } from '../errors.js';
import { ruleCatalog } from '../rules/catalog.js';
import type { CommandOutput } from './sweepCommand.js';

function store(config: FleetGuardConfig): AlertStore {
  requireStorage(config);
  const alertStore = createAzureClients(config).alertStore;
  if (alertStore === undefined) throw new FleetGuardError('config', 'storage is not configured');
  return alertStore;
}

export interface CreateSilenceOptions {
  rule?: string[];
  cluster?: string;
  tag?: Record<string, string>;
  duration: string;
  author: string;
  comment: string;
}

/** Each `--rule` as the catalog spells it; an id the catalog does not know is refused, with a hint. */
function catalogRuleIds(rules: readonly string[]): string[] {
  const known = new Map(ruleCatalog().map((rule) => [rule.id.toLowerCase(), rule.id]));
  return [
    ...new Set(
      rules.map((rule) => {
        const id = known.get(rule.toLowerCase());
        if (id === undefined) {
          const near = [...known.values()].filter((candidate) => candidate.startsWith(rule.toUpperCase().split('-')[0] ?? '')).slice(0, 8);
          throw new FleetGuardError('badInput', `--rule ${rule}: not a rule of the catalog${near.length > 0 ? ` (e.g. ${near.join(', ')})` : ''}`);
        }
        return id;
      }),
    ),
  ];
}

function isActive(silence: Silence, now: number): boolean {
  return Date.parse(silence.startsAt) <= now && now < Date.parse(silence.endsAt);
}

export async function createSilenceCommand(options: CreateSilenceOptions, output: CommandOutput): Promise<number> {
  let duration: number;
  try {
    duration = parseDuration(options.duration);
  } catch (error) {
    throw new FleetGuardError('badInput', `--duration: ${(error as Error).message}`);
  }
  const ruleIds = catalogRuleIds(options.rule ?? []);
  const config = getConfig();
  if (duration > config.silences.maxDurationMs) {
    throw new FleetGuardError(
      'badInput',
      `--duration ${options.duration}: at most ${formatDuration(config.silences.maxDurationMs)} (FLEETGUARD_MAX_SILENCE_DURATION)`,
    );
  }
  const alertStore = store(config);
  await alertStore.ensureTable();
  const now = new Date();
  // The same cap as POST /api/silences, checked before any write (a cap on growth, not an exact count).
  const active = (await alertStore.listSilences()).filter((silence) => isActive(silence, now.getTime())).length;
  const creating = Math.max(1, ruleIds.length);
  if (active + creating > config.silences.maxActive) {
    throw new FleetGuardError(
      'badInput',
      `silences: ${active} are active and this creates ${creating}, the limit is ${config.silences.maxActive} (FLEETGUARD_MAX_ACTIVE_SILENCES); expire one (fleetguard silence expire ID) first`,
    );
  }
  const common = {
    ...(options.cluster ? { cluster: options.cluster } : {}),
    ...(options.tag ? { tags: options.tag } : {}),
  };
  for (const ruleId of ruleIds.length > 0 ? ruleIds : [undefined]) {
    const silence = await alertStore.createSilence(ruleId === undefined ? common : { ruleId, ...common }, {
      startsAt: now,
      endsAt: new Date(now.getTime() + duration),
      createdBy: options.author,
      comment: options.comment,
    });
    output.stdout(`silence ${silence.id} until ${silence.endsAt}${ruleId === undefined ? '' : ` (rule ${ruleId})`}`);
  }
  return 0;
}

/** `rule=AKS-ENTRA cluster=web-dev env=prod`: what a silence matches, readable. */
function describeMatchers(silence: Silence): string {
  const { ruleId, cluster, tags } = silence.matchers;
  return [
    ...(ruleId === undefined ? [] : [`rule=${ruleId}`]),
    ...(cluster === undefined ? [] : [`cluster=${cluster}`]),
    ...Object.entries(tags ?? {}).map(([key, value]) => `tag ${key}=${value}`),
  ].join('\n');
}

function stateOf(silence: Silence, now: number): 'active' | 'pending' | 'expired' {
  if (now < Date.parse(silence.startsAt)) return 'pending';
  return isActive(silence, now) ? 'active' : 'expired';
}

export interface ListSilencesOptions {
  json?: boolean;
  format?: 'table' | 'json';
}

export async function listSilencesCommand(options: ListSilencesOptions, output: CommandOutput): Promise<number> {
  if (options.json === true && options.format === 'table') throw new FleetGuardError('badInput', '--json and --format table contradict each other');
  const alertStore = store(getConfig());
  await alertStore.ensureTable();
  const silences = await alertStore.listSilences();
  const now = Date.now();
  if (options.json === true || options.format === 'json') {
    output.stdout(JSON.stringify({ silences: silences.map((silence) => ({ ...silence, state: stateOf(silence, now) })) }, null, 2));
    return 0;
  }
  if (silences.length === 0) {
    output.stdout('No silences.');
    return 0;
  }
  // Active first, then pending, then expired; within each, the one ending soonest first.
  const order = { active: 0, pending: 1, expired: 2 } as const;
  const sorted = [...silences].sort((left, right) => order[stateOf(left, now)] - order[stateOf(right, now)] || left.endsAt.localeCompare(right.endsAt));
  const table = new Table({
    head: ['State', 'Matches', 'Until', 'By', 'Comment', 'Id'],
    wordWrap: true,
    style: { head: [], border: [] },
    ...(output.width === undefined ? {} : { colWidths: fitColumns(output.width) }),
  });
  for (const silence of sorted) {
    table.push([stateOf(silence, now), describeMatchers(silence), silence.endsAt.replace(/\.\d{3}Z$/, 'Z'), silence.createdBy, silence.comment, silence.id]);
  }
  const active = sorted.filter((silence) => stateOf(silence, now) === 'active').length;
  output.stdout(`${table.toString()}\n${active} active, ${sorted.length - active} pending or expired`);
  return 0;
}

/** Column widths for a terminal `width` wide (the id keeps its 36 characters, the comment gets the rest). */
function fitColumns(width: number): number[] {
  const fixed = [9, 28, 22, 16, 38];
  const comment = Math.max(16, width - fixed.reduce((sum, size) => sum + size, 0) - 7);
  return [9, 28, 22, 16, comment, 38];
}

export async function expireSilenceCommand(id: string, options: { author: string }, output: CommandOutput): Promise<number> {
  const alertStore = store(getConfig());
  await alertStore.ensureTable();
  if (!(await alertStore.expireSilence(id, new Date(), options.author))) throw new FleetGuardError('badInput', `no silence ${id}`);
  output.stdout(`silence ${id} expired`);
  return 0;
}
