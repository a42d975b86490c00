/**
 * The deployment package (`npm run package`): a folder the Functions host runs as is, published with
 * `func azure functionapp publish <app> --no-build` (infra/README.md). It holds the bundle (no
 * node_modules: the bundle has every dependency but `@azure/functions-core`, which the worker
 * supplies), host.json, a package.json whose `main` is the bundle, and the files the app reads at
 * run time (the detection queries, found through `packageRoot()`, which walks up to package.json).
 */
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { Metafile } from 'esbuild';

import { packageRoot } from '../packageRoot.js';
import { bundleFunctions } from './bundleFunctions.js';

export interface PackageOptions {
  /** The compiled entry; default dist/functions/index.js. */
  entry?: string;
  /** Emptied first; default dist/package. */
  outdir?: string;
}

/** The bundle's folder inside the package; the package.json `main` is `${BUNDLE_FOLDER}/index.js`. */
export const BUNDLE_FOLDER = 'bundle';

/** Files the app reads at run time, relative to the package root (the same place as in the repository). */
export const RUNTIME_FILES = [path.join('lib', 'detections', 'queries')];

export function defaultPackageDir(): string {
  return path.join(packageRoot(), 'dist', 'package');
}

interface Manifest {
  name: string;
  version: string;
  description?: string;
  license?: string;
  engines?: Record<string, string>;
}

/** Writes the package folder and returns the bundle's metafile. */
export async function packageFunctions(options: PackageOptions = {}): Promise<Metafile> {
  const root = packageRoot();
  const outdir = options.outdir ?? defaultPackageDir();
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const metafile = await bundleFunctions({ ...(options.entry === undefined ? {} : { entry: options.entry }), outdir: path.join(outdir, BUNDLE_FOLDER) });
  copyFileSync(path.join(root, 'host.json'), path.join(outdir, 'host.json'));
  for (const relative of RUNTIME_FILES) cpSync(path.join(root, relative), path.join(outdir, relative), { recursive: true });
  const source = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;
  // The name is how packageRoot() recognises the folder; no dependencies: nothing to install.
  const manifest = {
    name: source.name,
    version: source.version,
    description: source.description,
    license: source.license,
    private: true,
    type: 'module',
    main: `${BUNDLE_FOLDER}/index.js`,
    engines: source.engines,
  };
  writeFileSync(path.join(outdir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return metafile;
}
