/**
 * Bundles the compiled Functions entry (dist/functions/index.js; `npm run build` first) for cold
 * start: Node then reads a handful of files instead of about a thousand from node_modules
 * (figures: test/bench/coldStartBench.ts). A build-time tool: esbuild is a dev dependency.
 *
 * - ESM for Node 20 (production runs 22) with code splitting, so the SDK adapters that
 *   lib/app/clients.ts imports on first use become chunks loaded only then.
 * - `@azure/functions-core` stays external: the Functions worker supplies that module at run time
 *   (it is not on npm; Azure/azure-functions-nodejs-library#201).
 * - durable-functions and @azure/functions are CommonJS and `require` Node built-ins, so the banner
 *   gives the ESM bundle a real `require`.
 * - durable-functions loads axios (~75 ms: http2, form-data, mime-db, a fetch probe), validator and
 *   moment when it is imported, but uses them only when a function runs (axios and validator in
 *   `df.getClient` inside an HTTP handler, moment in orchestrations). Its `require`s of them get
 *   stand-ins that require the real packages on first use.
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

/**
 * For a package used as `x.member(...)` or `x(...)` at call time (never through an interop helper
 * that reads `__esModule` at require time): a stand-in that requires it on the first use.
 */
const lazyProxy = (specifier: string) => `
let real;
const load = () => (real ??= require(${JSON.stringify(specifier)}));
module.exports = new Proxy(function () {}, {
  get: (_target, key) => Reflect.get(load(), key),
  has: (_target, key) => Reflect.has(load(), key),
  apply: (_target, self, args) => Reflect.apply(load(), self, args),
  construct: (_target, args) => Reflect.construct(load(), args),
});
`;

/**
 * durable-functions' dependencies it needs only when a function runs: axios and validator in the
 * Durable client (`df.getClient`), moment in orchestration contexts and timers. Evaluating them at
 * import costs ~75 ms (axios) and ~12 ms (validator and moment, bundled).
 */
const DEFERRED_FOR_DURABLE_FUNCTIONS: Record<string, string> = { axios: LAZY_AXIOS, validator: lazyProxy('validator'), moment: lazyProxy('moment') };

function deferDurableFunctionsDependencies(root: string): Plugin {
  return {
    name: 'defer-durable-functions-dependencies',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^(axios|validator|moment)$/ }, (args) =>
        /[\\/]node_modules[\\/]durable-functions[\\/]/.test(args.importer) ? { path: args.path, namespace: 'fleetguard-lazy' } : undefined,
      );
      // The stand-in's own require resolves from durable-functions' folder: the real package.
      pluginBuild.onLoad({ filter: /.*/, namespace: 'fleetguard-lazy' }, (args) => {
        const contents = DEFERRED_FOR_DURABLE_FUNCTIONS[args.path];
        if (contents === undefined) throw new Error(`no stand-in for ${args.path}`);
        return { contents, loader: 'js', resolveDir: path.join(root, 'node_modules', 'durable-functions') };
      });
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
    plugins: [deferDurableFunctionsDependencies(root)],
    metafile: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  return result.metafile;
}
