/**
 * Bundles the compiled Functions entry (dist/functions/index.js; `npm run build` first) for cold
 * start: Node then reads a handful of files instead of about a thousand from node_modules
 * (figures: test/bench/coldStartBench.ts). A build-time tool: esbuild is a dev dependency.
 *
 * - ESM for Node 20 (production runs 22) with code splitting, so the SDK adapters that
 *   lib/azure/clients.ts imports on first use become chunks loaded only then.
 * - `@azure/functions-core` stays external: the Functions worker supplies that module at run time
 *   (it is not on npm; Azure/azure-functions-nodejs-library#201).
 * - durable-functions and @azure/functions are CommonJS and `require` Node built-ins, so the banner
 *   gives the ESM bundle a real `require`.
 * - durable-functions loads axios when it is imported (~75 ms: http2, form-data, mime-db, a fetch
 *   probe) but uses it only in `new DurableClient()`, i.e. in `df.getClient` inside an HTTP handler.
 *   Its `require("axios")` gets a stand-in that requires the real axios on first use.
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';

import { build, type Metafile, type Plugin } from 'esbuild';

import { packageRoot } from '../packageRoot.js';

export interface BundleOptions {
  /** The compiled entry; default dist/functions/index.js. */
  entry?: string;
  /** Emptied first; default dist/bundle. The entry becomes `index.js` in it. */
  outdir?: string;
}

/** What durable-functions' `require("axios")` gets: the real module, required on first property read. */
const LAZY_AXIOS = `
let real;
const load = () => (real ??= require('axios'));
Object.defineProperty(exports, '__esModule', { value: true });
Object.defineProperty(exports, 'default', { enumerable: true, get: () => load().default });
`;

function lazyAxiosForDurableFunctions(root: string): Plugin {
  return {
    name: 'lazy-axios-for-durable-functions',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^axios$/ }, (args) =>
        /[\\/]node_modules[\\/]durable-functions[\\/]/.test(args.importer) ? { path: 'axios', namespace: 'fleetguard-lazy' } : undefined,
      );
      // The stand-in's own require('axios') resolves from durable-functions' folder: the real package.
      pluginBuild.onLoad({ filter: /^axios$/, namespace: 'fleetguard-lazy' }, () => ({
        contents: LAZY_AXIOS,
        loader: 'js',
        resolveDir: path.join(root, 'node_modules', 'durable-functions'),
      }));
    },
  };
}

export function defaultBundleDir(): string {
  return path.join(packageRoot(), 'dist', 'bundle');
}

/** Writes the bundle (entry `index.js` plus chunks) and returns esbuild's metafile. */
export async function bundleFunctions(options: BundleOptions = {}): Promise<Metafile> {
  const root = packageRoot();
  const outdir = options.outdir ?? defaultBundleDir();
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    entryPoints: { index: options.entry ?? path.join(root, 'dist', 'functions', 'index.js') },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    splitting: true,
    outdir,
    chunkNames: 'chunks/[name]-[hash]',
    external: ['@azure/functions-core'],
    banner: { js: "import { createRequire as __fleetguardCreateRequire } from 'node:module'; const require = __fleetguardCreateRequire(import.meta.url);" },
    plugins: [lazyAxiosForDurableFunctions(root)],
    metafile: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  return result.metafile;
}
