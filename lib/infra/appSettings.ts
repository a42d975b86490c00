/**
 * The app settings Bicep deploys by default, derived from the one list lib/config.ts validates.
 * `npm run infra:settings` writes them to infra/app-settings.generated.json, which main.bicep
 * loads; the infra contract test fails when that file and SETTINGS disagree.
 */
import { type SettingDescription,SETTINGS } from '../config.js';

export const GENERATED_APP_SETTINGS_FILE = 'infra/app-settings.generated.json';

/** Every setting with a default, by name; values main.bicep computes (identity, storage) override them. */
export function azureSettingDefaults(settings: readonly SettingDescription[] = SETTINGS): Record<string, string> {
  const defaults: Record<string, string> = {};
  for (const setting of [...settings].sort((left, right) => left.name.localeCompare(right.name))) {
    if (setting.defaultValue !== undefined) defaults[setting.name] = setting.defaultValue;
  }
  return defaults;
}

export function renderAppSettingsFile(): string {
  return `${JSON.stringify(azureSettingDefaults(), null, 2)}\n`;
}
