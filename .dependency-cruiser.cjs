/**
 * The dependency rules of the tree (DESIGN.md "Layout", ARCHITECTURE in issue 13): folders under
 * lib/ form a DAG, adapters import no feature, the composition root is imported only from the
 * edges, and runtime code never imports local tooling. `npm run depcheck` (part of `npm run lint`)
 * and test/unit/architecture.test.ts check them.
 */

/**
 * Local tooling: the simulator, the local hosts, the demo. The deployed bundle leaves it out and no
 * runtime module imports it. It lives in tooling/, the one list to change if that ever changes.
 */
const TOOLING = ['^tooling/'];

/**
 * The CLI's entry: it loads the tooling for the local modes (`--demo`, `--snapshot`, the rollout
 * rehearsal), and only through `import()`, so the CLI's other commands never load it.
 */
const CLI_ENTRY = '^lib/cli/main\\.ts$';

/** The composition root: the one place that knows every feature and every adapter. */
const COMPOSITION_ROOT = '^lib/app/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycle',
      severity: 'error',
      comment:
        'Folders under lib/ form a DAG: a cycle between two folders means one holds what belongs to the other (a port in the adapters, wiring in a feature).',
      scope: 'folder',
      from: { path: '^lib/' },
      to: { path: '^lib/', circular: true },
    },
    {
      name: 'no-runtime-to-tooling',
      severity: 'error',
      comment:
        'Runtime code under lib/ never imports local tooling: the deployed bundle leaves it out. Tooling reaches a feature by injection (see lib/upgrades/rehearsal.ts).',
      from: { path: '^lib/', pathNot: [CLI_ENTRY] },
      to: { path: TOOLING },
    },
    {
      name: 'no-static-cli-to-tooling',
      severity: 'error',
      comment: 'The CLI entry loads the tooling with import() in the local modes only, so `fleetguard rollouts ...` and live sweeps never load the simulator.',
      from: { path: CLI_ENTRY },
      to: { path: TOOLING, dynamic: false },
    },
    {
      name: 'no-functions-to-tooling',
      severity: 'error',
      comment: 'The Functions entry is what gets deployed: it never imports local tooling.',
      from: { path: '^functions/' },
      to: { path: TOOLING },
    },
    {
      name: 'no-adapter-to-feature',
      severity: 'error',
      comment:
        'lib/azure implements the ports the features declare (their types live with the feature or in lib/model): it imports only lib/model and the shared modules at the root of lib/.',
      from: { path: '^lib/azure/' },
      to: { path: '^lib/', pathNot: ['^lib/(azure|model)/', '^lib/[^/]+\\.ts$'] },
    },
    {
      name: 'composition-root-only-from-the-edges',
      severity: 'error',
      comment: 'Features receive their dependencies; only the edges (functions/, the CLI, tooling) ask the composition root for them.',
      from: { path: '^lib/', pathNot: [COMPOSITION_ROOT, '^lib/cli/', ...TOOLING] },
      to: { path: COMPOSITION_ROOT },
    },
  ],
  options: {
    // tooling/ is not followed: it may use anything in lib/ (it is tooling), and following it would show the
    // CLI entry's import() of the local modes as folder cycles through tooling. What reaches it is still checked.
    doNotFollow: { path: ['node_modules', '^tooling/'] },
    exclude: { path: '^(node_modules|dist|test)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts'],
    },
  },
};
