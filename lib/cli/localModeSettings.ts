/**
 * The settings in the CLI's local modes (`sweep --snapshot`, `sweep --demo`). They run on a local
 * Azure (the simulator serving a snapshot, in-process Azurite), but a malformed setting is still an
 * input error (CONTRACTS.md §3: "Every mode validates the configuration it reads"), and a setting
 * the mode does not use is named on stderr, so nobody believes it took effect.
 */
import { parseConfig, SETTINGS } from '../config.js';

export type LocalMode = 'snapshot' | 'demo';

/**
 * Settings a snapshot sweep honours: they shape how the sweep runs, not where it reads from. The
 * others point at Azure, storage or alert receivers, which the snapshot and the simulator stand in
 * for; the demo has its own fleet, routes and sink, so it honours none.
 */
const HONOURED: Record<LocalMode, readonly string[]> = {
  snapshot: [
    'FLEETGUARD_SWEEP_CONCURRENCY',
    'FLEETGUARD_INVENTORY_SOURCE',
    'FLEETGUARD_HTTP_MAX_RETRIES',
    'FLEETGUARD_IN_CLUSTER_TIMEOUT_SECONDS',
    'FLEETGUARD_IN_CLUSTER_PAGE_SIZE',
  ],
  demo: [],
};

export interface LocalModeSettings {
  /** The honoured settings that are set, to lay over the local Azure's own. */
  honoured: Record<string, string>;
  /** The one warning line naming the settings that are set but not used, if any. */
  warning: string | undefined;
}

/**
 * Validates the whole configuration in `env` (a malformed setting throws the `config` error naming
 * it, as in live mode) and splits the settings that are set into those `mode` uses and those it
 * ignores.
 */
export function localModeSettings(
  env: Record<string, string | undefined>,
  mode: LocalMode,
  /** The command running the mode, as the warning names it. */
  command: 'sweep' | 'report' = 'sweep',
): LocalModeSettings {
  parseConfig(env);
  const set = SETTINGS.map((setting) => setting.name).filter((name) => (env[name] ?? '').trim() !== '');
  const honoured = Object.fromEntries(set.filter((name) => HONOURED[mode].includes(name)).map((name) => [name, (env[name] ?? '').trim()]));
  const ignored = set.filter((name) => !HONOURED[mode].includes(name));
  const why = mode === 'snapshot' ? 'the snapshot stands in for Azure and nothing is stored' : 'the demo brings its own fleet, storage and alert routes';
  return {
    honoured,
    warning: ignored.length === 0 ? undefined : `fleetguard: warning: ignored by ${command} --${mode} (${why}): ${ignored.join(', ')}`,
  };
}
