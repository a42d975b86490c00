/** `fleetguard --version`: the version in our package.json, found through the package root helper. */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { packageRoot } from '../packageRoot.js';

/** The `version` of package.json (the same whether run from sources or from dist/). */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
}
