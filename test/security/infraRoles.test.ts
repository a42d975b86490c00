/**
 * Least privilege in infra/: every role assignment the Bicep declares, read from the files (a small
 * reader of the declarations we write: role, principal, scope), must be in the allow-list next to
 * this file with a reason and the code path that needs it, and broad scopes (a subscription, a
 * resource group, a storage account) must say why. The custom roles must grant exactly the actions
 * lib/infra/requiredActions.ts lists, and that list must match the SDK calls in lib/azure/*.ts.
 *
 * Sources: role ids, Learn "Azure built-in roles" (learn.microsoft.com/azure/role-based-access-control/
 * built-in-roles); actions, Learn "Azure resource provider operations"; per-subscription role
 * definitions, Azure/bicep#17145; see infra/README.md "Role table".
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { DETECTIONS } from '../../lib/detections/catalog.js';
import { actionsOfRole, type CustomRoleName, REQUIRED_ACTIONS } from '../../lib/infra/requiredActions.js';
import { packageRoot } from '../../lib/packageRoot.js';
import { BUILT_IN_ROLE_IDS } from '../unit/infra/deployRules.js';

const root = packageRoot();
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

/** Built-in role names by id, from the one documented table (test/unit/infra/deployRules.ts). */
const BUILT_IN_ROLES: Record<string, string> = Object.fromEntries(Object.entries(BUILT_IN_ROLE_IDS).map(([name, id]) => [id, name]));

/** Scope kinds that reach more than one resource of their kind. */
const BROAD_SCOPES = new Set(['subscription', 'resourceGroup', 'storageAccount']);

/** The scope kind of a resource type a `scope:` names. */
const SCOPE_KINDS: Record<string, string> = {
  'Microsoft.Storage/storageAccounts': 'storageAccount',
  'Microsoft.Storage/storageAccounts/blobServices/containers': 'blobContainer',
  'Microsoft.Storage/storageAccounts/queueServices/queues': 'storageQueue',
  'Microsoft.Storage/storageAccounts/tableServices/tables': 'storageTable',
  'Microsoft.KeyVault/vaults': 'keyVault',
  'Microsoft.Insights/components': 'applicationInsights',
  'Microsoft.OperationalInsights/workspaces': 'logAnalyticsWorkspace',
  'Microsoft.OperationalInsights/workspaces/tables': 'logAnalyticsTable',
};

/** Principals by the identity resource whose principalId they are (infra/main.bicep). */
const PRINCIPALS: Record<string, string> = {
  'identity.properties.principalId': 'app',
  'hostIdentity.properties.principalId': 'host',
  'eventsIdentity.properties.principalId': 'events',
  officer: 'keyVaultSecretOfficerIds',
};

/** Custom role definitions (subscriptionAccess.bicep) and the requiredActions role each grants. */
const CUSTOM_ROLES: Record<string, { role: CustomRoleName; actionsVar: string }> = {
  fleetReaderRole: { role: 'fleetReader', actionsVar: 'fleetReaderActions' },
  rolloutRole: { role: 'rollout', actionsVar: 'rolloutActions' },
  logWorkspaceRole: { role: 'logWorkspace', actionsVar: 'logWorkspaceActions' },
  logTableRole: { role: 'logTable', actionsVar: 'logTableActions' },
};

interface BicepFile {
  file: string;
  text: string;
  targetScope: string;
}

interface Declaration {
  file: string;
  symbol: string;
  type: string;
  body: string;
}

interface Assignment {
  file: string;
  symbol: string;
  role: string;
  principal: string;
  scope: string;
}

interface AllowListEntry extends Assignment {
  reason: string;
  codePath: string;
  broadScopeReason?: string;
}

function bicepFiles(): BicepFile[] {
  const files = ['infra/main.bicep', ...readdirSync(path.join(root, 'infra/modules')).map((file) => `infra/modules/${file}`)].filter((file) =>
    file.endsWith('.bicep'),
  );
  return files.map((file) => {
    const text = read(file);
    return { file, text, targetScope: /^targetScope = '(\w+)'/m.exec(text)?.[1] ?? 'resourceGroup' };
  });
}

/**
 * The top-level `resource` and `module` declarations of a file. Our files are formatted (Bicep's
 * formatter style): a declaration starts at column 0 and ends at the next line that is exactly `}`
 * or `]`. The body is the text in between.
 */
function declarations(file: BicepFile): Declaration[] {
  const lines = file.text.split('\n');
  const found: Declaration[] = [];
  lines.forEach((line, index) => {
    const match = /^(?:resource|module) (\w+) '([^'@]+)(?:@[^']+)?'/.exec(line);
    if (match === null) return;
    const end = lines.findIndex((candidate, at) => at > index && /^[}\]]$/.test(candidate));
    found.push({ file: file.file, symbol: match[1] ?? '', type: match[2] ?? '', body: lines.slice(index, end + 1).join('\n') });
  });
  return found;
}

function property(body: string, name: string): string | undefined {
  return new RegExp(`^\\s+${name}: (.+)$`, 'm').exec(body)?.[1]?.trim();
}

/** The `var <name> = { key: 'value' ... }` object of a file, one key per line. */
function stringObject(text: string, name: string): Record<string, string> {
  const start = text.indexOf(`var ${name} = {`);
  if (start < 0) return {};
  const body = text.slice(start, text.indexOf('\n}', start));
  return Object.fromEntries([...body.matchAll(/^\s+(\w+): '([^']+)'$/gm)].map((match) => [match[1] ?? '', match[2] ?? '']));
}

/** The `var <name> = [ 'a' 'b' ]` string array of a file, one item per line. */
function stringArray(text: string, name: string): string[] {
  const start = text.indexOf(`var ${name} = [`);
  if (start < 0) return [];
  const body = text.slice(start, text.indexOf('\n]', start));
  return [...body.matchAll(/^\s+'([^']+)'$/gm)].map((match) => match[1] ?? '');
}

/**
 * What a module parameter is set to by the modules that call the file: `name: value` in each
 * `module x '<relative path>'` declaration that points at it.
 */
function callerValues(files: readonly BicepFile[], target: string, param: string): { file: BicepFile; value: string }[] {
  const values: { file: BicepFile; value: string }[] = [];
  for (const file of files) {
    for (const declaration of declarations(file)) {
      const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file.file), declaration.type));
      if (!/^module /.test(declaration.body) || resolved !== target) continue;
      const value = property(declaration.body, param);
      if (value !== undefined) values.push({ file, value });
    }
  }
  return values;
}

/** Follows a parameter up through its callers until a value that is not another parameter. */
function resolveValue(files: readonly BicepFile[], file: BicepFile, value: string, resolveLeaf: (file: BicepFile, value: string) => string): string {
  if (new RegExp(`^param ${value} `, 'm').test(file.text)) {
    const callers = callerValues(files, file.file, value);
    const leaves = new Set(callers.map((caller) => resolveValue(files, caller.file, caller.value, resolveLeaf)));
    return leaves.size === 1 ? ([...leaves][0] ?? '?') : `unresolved(${value}: ${[...leaves].join(' | ')})`;
  }
  return resolveLeaf(file, value);
}

function roleOf(file: BicepFile, value: string): string {
  const builtIn = /^subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions', roles\.(\w+)\)$/.exec(value);
  if (builtIn !== null) {
    const id = stringObject(file.text, 'roles')[builtIn[1] ?? ''] ?? '';
    return BUILT_IN_ROLES[id] ?? `unknown built-in ${id}`;
  }
  const custom = /^(\w+)!?\.id$/.exec(value);
  const declaration = declarations(file).find((candidate) => candidate.symbol === custom?.[1]);
  if (declaration?.type === 'Microsoft.Authorization/roleDefinitions') return `custom:${declaration.symbol}`;
  return `unresolved(${value})`;
}

function scopeOf(file: BicepFile, value: string | undefined): string {
  if (value === undefined) return file.targetScope;
  const symbol = value.replace(/\[.*\]$/, '');
  const declaration = declarations(file).find((candidate) => candidate.symbol === symbol);
  return (declaration && SCOPE_KINDS[declaration.type]) ?? `unresolved(${value})`;
}

function roleAssignments(files: readonly BicepFile[]): Assignment[] {
  return files.flatMap((file) =>
    declarations(file)
      .filter((declaration) => declaration.type === 'Microsoft.Authorization/roleAssignments')
      .map((declaration) => ({
        file: file.file,
        symbol: declaration.symbol,
        role: resolveValue(files, file, property(declaration.body, 'roleDefinitionId') ?? '', roleOf),
        principal: resolveValue(files, file, property(declaration.body, 'principalId') ?? '', (_file, value) => PRINCIPALS[value] ?? `unresolved(${value})`),
        scope: scopeOf(file, property(declaration.body, 'scope')),
      })),
  );
}

/** `ClassName.method sdkCall` for every Azure SDK (or raw REST) call in lib/azure/*.ts. */
function sdkCallSites(): string[] {
  const patterns: { pattern: RegExp; name: (match: RegExpExecArray) => string }[] = [
    {
      pattern: /\.(managedClusters|agentPools|maintenanceConfigurations|policyStates|componentPolicyStates|subscriptions)\.(\w+)\(/g,
      name: (match) => `${match[1]}.${match[2]}`,
    },
    { pattern: /this\.client\.(resources|queryResource)\(/g, name: (match) => match[1] ?? '' },
    { pattern: /this\.rawGet\(/g, name: () => 'rawGet' },
    { pattern: /\.pathUnchecked\(/g, name: () => 'pathUnchecked' },
  ];
  const sites = new Set<string>();
  for (const file of readdirSync(path.join(root, 'lib/azure')).filter((name) => name.endsWith('.ts'))) {
    let className = '';
    let method = '';
    // A chained call continued on the next line (`client.policyStates\n  .listQueryResults...(`) is one call.
    for (const line of read(`lib/azure/${file}`)
      .replace(/\n\s+\./g, '.')
      .split('\n')) {
      className = /^(?:export )?class (\w+)/.exec(line)?.[1] ?? className;
      method = /^ {2}(?:(?:private|public|protected|static|async)\s+)*\*?(\w+)\(/.exec(line)?.[1] ?? method;
      for (const { pattern, name } of patterns) {
        pattern.lastIndex = 0;
        for (let match = pattern.exec(line); match !== null; match = pattern.exec(line)) sites.add(`${className}.${method} ${name(match)}`);
      }
    }
  }
  return [...sites].sort();
}

/** The raw GET helper is the transport its callers use; each caller is listed with `rawGet`. */
const TRANSPORT = ['ContainerServiceAdapter.rawGet pathUnchecked'];

const files = bicepFiles();
const allowList = (JSON.parse(read('test/security/infraRoles.allowlist.json')) as { assignments: AllowListEntry[] }).assignments;

describe('infra/ role assignments (least privilege)', () => {
  const assignments = roleAssignments(files);

  it('reads every role assignment of infra/**/*.bicep with its role, principal and scope', () => {
    expect(assignments.length).toBeGreaterThanOrEqual(allowList.length);
    for (const assignment of assignments) {
      for (const field of ['role', 'principal', 'scope'] as const)
        expect(assignment[field], `${assignment.file} ${assignment.symbol} ${field}`).not.toMatch(/unresolved|unknown/);
    }
  });

  it('allows only the assignments in infra-roles allow-list, each with a reason and a code path', () => {
    const key = (entry: { file: string; symbol: string }) => `${entry.file} ${entry.symbol}`;
    const allowed = new Map(allowList.map((entry) => [key(entry), entry]));
    const notAllowed = assignments.filter((assignment) => {
      const entry = allowed.get(key(assignment));
      return entry === undefined || entry.role !== assignment.role || entry.principal !== assignment.principal || entry.scope !== assignment.scope;
    });
    expect(notAllowed, 'assignments not in test/security/infraRoles.allowlist.json (or with another role, principal or scope)').toEqual([]);
    const declared = new Set(assignments.map(key));
    expect(allowList.filter((entry) => !declared.has(key(entry))).map(key), 'allow-list entries with no assignment').toEqual([]);
    for (const entry of allowList) {
      expect(entry.reason.length, `${key(entry)} reason`).toBeGreaterThan(20);
      expect(entry.codePath.length, `${key(entry)} codePath`).toBeGreaterThan(3);
    }
  });

  it('assigns at a subscription, resource group or whole storage account only where the allow-list says why', () => {
    const broad = assignments.filter((assignment) => BROAD_SCOPES.has(assignment.scope));
    for (const assignment of broad) {
      const entry = allowList.find((candidate) => candidate.file === assignment.file && candidate.symbol === assignment.symbol);
      expect(entry?.broadScopeReason?.length ?? 0, `${assignment.file} ${assignment.symbol} at ${assignment.scope} needs broadScopeReason`).toBeGreaterThan(40);
    }
    // The storage account is broad: only the host's documented blob role may sit there.
    expect(broad.filter((assignment) => assignment.scope === 'storageAccount').map((assignment) => `${assignment.principal} ${assignment.role}`)).toEqual([
      'host Storage Blob Data Owner',
    ]);
  });

  it("keeps the app code's identity away from blobs (function keys, the deployment package) and Event Grid's identity on the dead-letter container", () => {
    const blobRoles = assignments.filter((assignment) => assignment.role.startsWith('Storage Blob'));
    expect(blobRoles.filter((assignment) => assignment.principal === 'app')).toEqual([]);
    expect(assignments.filter((assignment) => assignment.principal === 'events').map((assignment) => `${assignment.role} @ ${assignment.scope}`)).toEqual([
      'Storage Blob Data Contributor @ blobContainer',
    ]);
    // The host identity holds no ARM (control-plane) role: only storage data roles.
    for (const assignment of assignments.filter((candidate) => candidate.principal === 'host'))
      expect(assignment.role).toMatch(/^Storage (Blob|Queue|Table) Data/);
  });

  it('uses only documented built-in role ids', () => {
    for (const file of files) {
      for (const [name, id] of Object.entries(stringObject(file.text, 'roles'))) expect(BUILT_IN_ROLES, `${file.file} roles.${name}`).toHaveProperty(id);
    }
  });

  it('lists every assignment in the infra/README.md role table', () => {
    const readme = read('infra/README.md');
    const table = readme.slice(readme.indexOf('## Role table'));
    for (const entry of allowList) expect(table, `${entry.symbol} in the README role table`).toContain(`\`${entry.symbol}\``);
  });
});

describe('custom roles: exactly the actions the code calls (lib/infra/requiredActions.ts)', () => {
  const access = files.find((file) => file.file === 'infra/modules/subscriptionAccess.bicep');

  it('defines each custom role per subscription, assignable in that subscription only (Azure/bicep#17145)', () => {
    const definitions = files.flatMap((file) => declarations(file).filter((declaration) => declaration.type === 'Microsoft.Authorization/roleDefinitions'));
    expect(definitions.map((definition) => `${definition.file} ${definition.symbol}`).sort()).toEqual(
      [
        ...Object.keys(CUSTOM_ROLES).map((symbol) => `infra/modules/subscriptionAccess.bicep ${symbol}`),
        // Data actions for the in-cluster reads: test/security/inClusterReader.test.ts checks that role.
        'infra/modules/inClusterReader.bicep inClusterReaderRole',
        // The runCommand fallback's two actions: test/security/inClusterRunCommand.test.ts checks that role.
        'infra/modules/inClusterRunCommand.bicep inClusterRunCommandRole',
      ].sort(),
    );
    for (const definition of definitions) {
      expect(property(definition.body, 'assignableScopes'), definition.symbol).toBe('[subscription().id]');
      // Role names are unique per tenant: each subscription's definition carries the subscription id.
      expect(property(definition.body, 'roleName'), definition.symbol).toMatch(/\$\{here\}\)'$/);
    }
  });

  it('grants each custom role exactly the actions some code path needs, and no wildcard', () => {
    expect(access).toBeDefined();
    for (const [symbol, { role, actionsVar }] of Object.entries(CUSTOM_ROLES)) {
      const declaration = declarations(access!).find((candidate) => candidate.symbol === symbol);
      expect(declaration?.body, symbol).toContain(`actions: ${actionsVar}`);
      const granted = stringArray(access!.text, actionsVar);
      const needed = actionsOfRole(role);
      expect(
        granted.filter((action) => !needed.includes(action)),
        `${symbol} grants actions no code needs`,
      ).toEqual([]);
      expect(
        needed.filter((action) => !granted.includes(action)),
        `${symbol} lacks actions the code calls`,
      ).toEqual([]);
      for (const action of granted) expect(action, symbol).not.toContain('*');
    }
  });

  it('lists every SDK call of lib/azure/*.ts, and only calls that exist', () => {
    const inCode = sdkCallSites().filter((site) => !TRANSPORT.includes(site));
    const listed = [...new Set(REQUIRED_ACTIONS.flatMap((entry) => entry.calls.map((call) => `${call.adapter} ${call.sdk}`)))].sort();
    expect(
      inCode.filter((site) => !listed.includes(site)),
      'SDK calls with no action in lib/infra/requiredActions.ts',
    ).toEqual([]);
    expect(
      listed.filter((site) => !inCode.includes(site)),
      'requiredActions calls that are not in lib/azure',
    ).toEqual([]);
  });

  it('documents in infra/README.md exactly the actions of the fleet reader and the rollout role', () => {
    const readme = read('infra/README.md');
    // The first code block after each heading; its lines are "<action>  <what calls it>".
    const blockAfter = (marker: string): string[] => {
      const start = readme.indexOf(marker);
      expect(start, marker).toBeGreaterThanOrEqual(0);
      const block = /```\n([\s\S]*?)```/.exec(readme.slice(start))?.[1] ?? '';
      return block
        .split('\n')
        .map((line) => line.trim().split(/\s+/)[0] ?? '')
        .filter((action) => action !== '')
        .sort();
    };
    expect(blockAfter('Fleet reader:')).toEqual([...new Set(actionsOfRole('fleetReader'))].sort());
    expect(blockAfter('### The rollout role')).toEqual([...new Set(actionsOfRole('rollout'))].sort());
  });

  it('grants the rollout role no write beyond what an upgrade needs', () => {
    const writes = actionsOfRole('rollout').filter((action) => /\/(write|delete|action)$/.test(action));
    expect(writes).toEqual([
      'Microsoft.ContainerService/managedClusters/write',
      'Microsoft.ContainerService/managedClusters/agentPools/write',
      'Microsoft.ContainerService/managedClusters/agentPools/upgradeNodeImageVersion/action',
    ]);
    for (const role of ['fleetReader', 'logWorkspace', 'logTable'] as const) {
      // queryResults/action is Policy Insights' POST query: a read in effect, listed as an action.
      expect(
        actionsOfRole(role).filter((action) => /\/(write|delete)$/.test(action)),
        role,
      ).toEqual([]);
    }
  });

  it('grants table read on exactly the tables the detections query', () => {
    const main = files.find((file) => file.file === 'infra/main.bicep');
    const tables = [...new Set(DETECTIONS.flatMap((detection) => detection.tables))].sort();
    expect(stringArray(main!.text, 'detectionTables').sort()).toEqual(tables);
  });
});
