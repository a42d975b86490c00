/** `fleetguard silence create|list|expire`: silences in the configured findings storage. */
import { parseDuration } from '../alerts/alertingConfig.js';
import type { AlertStore } from '../alerts/alertStore.js';
import { createAzureClients } from '../app/clients.js';
import { getConfig, requireStorage } from '../config.js';
import { FleetGuardError } from '../errors.js';
import type { CommandOutput } from './sweepCommand.js';

function store(): AlertStore {
  const config = getConfig();
  requireStorage(config);
  const alertStore = createAzureClients(config).alertStore;
  if (alertStore === undefined) throw new FleetGuardError('config', 'storage is not configured');
  return alertStore;
}

export interface CreateSilenceOptions {
  rule?: string;
  cluster?: string;
  tag?: Record<string, string>;
  duration: string;
  author: string;
  comment: string;
}

export async function createSilenceCommand(options: CreateSilenceOptions, output: CommandOutput): Promise<number> {
  let duration: number;
  try {
    duration = parseDuration(options.duration);
  } catch (error) {
    throw new FleetGuardError('badInput', `--duration: ${(error as Error).message}`);
  }
  const alertStore = store();
  await alertStore.ensureTable();
  const now = new Date();
  const silence = await alertStore.createSilence(
    {
      ...(options.rule ? { ruleId: options.rule } : {}),
      ...(options.cluster ? { cluster: options.cluster } : {}),
      ...(options.tag ? { tags: options.tag } : {}),
    },
    { startsAt: now, endsAt: new Date(now.getTime() + duration), createdBy: options.author, comment: options.comment },
  );
  output.stdout(`silence ${silence.id} until ${silence.endsAt}`);
  return 0;
}

export async function listSilencesCommand(options: { json?: boolean }, output: CommandOutput): Promise<number> {
  const alertStore = store();
  await alertStore.ensureTable();
  const silences = await alertStore.listSilences();
  const now = Date.now();
  if (options.json === true) {
    output.stdout(JSON.stringify({ silences }, null, 2));
    return 0;
  }
  if (silences.length === 0) output.stdout('no silences');
  for (const silence of silences) {
    const active = Date.parse(silence.startsAt) <= now && now < Date.parse(silence.endsAt);
    output.stdout(
      `${silence.id}  ${active ? 'active ' : 'expired'}  until ${silence.endsAt}  by ${silence.createdBy}  ${JSON.stringify(silence.matchers)}  ${silence.comment}`,
    );
  }
  return 0;
}

export async function expireSilenceCommand(id: string, options: { author: string }, output: CommandOutput): Promise<number> {
  const alertStore = store();
  await alertStore.ensureTable();
  if (!(await alertStore.expireSilence(id, new Date(), options.author))) throw new FleetGuardError('badInput', `no silence ${id}`);
  output.stdout(`silence ${id} expired`);
  return 0;
}
