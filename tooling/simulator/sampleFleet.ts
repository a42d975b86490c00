import path from 'node:path';

import { packageRoot } from '../../lib/packageRoot.js';

/** The snapshot folder of the built-in sample fleet (see sample-fleet/README.md). */
export function sampleFleetDirectory(): string {
  return path.join(packageRoot(), 'tooling', 'simulator', 'sample-fleet');
}
