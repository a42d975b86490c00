/** `npm run package` (builds first): writes the deployment package dist/package/ (see packageFunctions.ts). */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

import { packageRoot } from '../packageRoot.js';
import { defaultPackageDir, packageFunctions } from './packageFunctions.js';

await packageFunctions();
const outdir = defaultPackageDir();
const files = readdirSync(outdir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
const bytes = files.reduce((sum, entry) => sum + statSync(path.join(entry.parentPath, entry.name)).size, 0);
console.log(`wrote ${path.relative(packageRoot(), outdir)}: ${files.length} files, ${(bytes / 1024 / 1024).toFixed(2)} MiB; publish it with: cd ${path.relative(packageRoot(), outdir)} && func azure functionapp publish <app> --no-build`);
