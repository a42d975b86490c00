/** `node dist/lib/infra/bundleFunctionsCli.js` (after `npm run build`): writes dist/bundle/. */
import path from 'node:path';

import { packageRoot } from '../packageRoot.js';
import { bundleFunctions, defaultBundleDir } from './bundleFunctions.js';

const metafile = await bundleFunctions();
const outputs = Object.entries(metafile.outputs).filter(([file]) => file.endsWith('.js'));
const bytes = outputs.reduce((sum, [, output]) => sum + output.bytes, 0);
console.log(`bundled ${path.relative(packageRoot(), path.join(defaultBundleDir(), 'index.js'))}: ${outputs.length} files, ${(bytes / 1024 / 1024).toFixed(2)} MiB`);
