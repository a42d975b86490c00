/** `npm run infra:settings`: regenerates infra/app-settings.generated.json from lib/config.ts. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';

import { packageRoot } from '../packageRoot.js';
import { GENERATED_APP_SETTINGS_FILE, renderAppSettingsFile } from './appSettings.js';

const target = path.join(packageRoot(), GENERATED_APP_SETTINGS_FILE);
writeFileSync(target, renderAppSettingsFile());
console.log(`wrote ${GENERATED_APP_SETTINGS_FILE}`);
