/**
 * The contract between infra/ and the code. There is no Bicep CLI here, so these checks read the
 * Bicep as text: they catch a setting the code requires that Bicep forgets, a role id that is not
 * the documented built-in, an event type no handler handles, and a parameters file that drifts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { parseAlertingDocument } from '../../lib/alerts/alertingConfig.js';
import { ALERT_ROLES } from '../../lib/alerts/silencesApi.js';
import { SETTINGS } from '../../lib/config.js';
import { GENERATED_APP_SETTINGS_FILE, renderAppSettingsFile } from '../../lib/infra/appSettings.js';
import { packageRoot } from '../../lib/packageRoot.js';
import { ROLLOUT_ROLES } from '../../lib/upgrades/rolloutsApi.js';

const root = packageRoot();
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const bicepFiles = ['infra/main.bicep', ...readdirSync(path.join(root, 'infra/modules')).map((file) => `infra/modules/${file}`)];
const main = read('infra/main.bicep');
const allBicep = bicepFiles.map((file) => ({ file, text: read(file) }));

/** Built-in roles, as documented at learn.microsoft.com/azure/role-based-access-control/built-in-roles. */
const BUILT_IN_ROLES: Record<string, string> = {
  'acdd72a7-3385-48ef-bd42-f606fba81ae7': 'Reader',
  '73c42c96-874c-492b-b04d-ab87d138a893': 'Log Analytics Reader',
  'ba92f5b4-2d11-453d-a403-e96b0029c9fe': 'Storage Blob Data Contributor',
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88': 'Storage Queue Data Contributor',
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3': 'Storage Table Data Contributor',
  '4633458b-17de-408a-b874-0445c86b69e6': 'Key Vault Secrets User',
  'b86a8fe4-44ce-4948-aee5-eccb2c155cd7': 'Key Vault Secrets Officer',
  '3913510d-42f4-4e42-8a64-420c390055eb': 'Monitoring Metrics Publisher',
};
/** Roles that must be granted, by the name the issue and README use. */
const REQUIRED_ROLES = [
  'Reader',
  'Log Analytics Reader',
  'Storage Blob Data Contributor',
  'Storage Queue Data Contributor',
  'Storage Table Data Contributor',
  'Key Vault Secrets User',
];

/** Keys of a Bicep object literal `var <name> = { ... }` (one key per line). */
function objectKeys(text: string, variable: string): string[] {
  const start = text.indexOf(`var ${variable} = {`);
  expect(start, `var ${variable} in main.bicep`).toBeGreaterThanOrEqual(0);
  const body = text.slice(start, text.indexOf('\n}', start));
  return [...body.matchAll(/^\s+([A-Za-z_][A-Za-z0-9_]*):/gm)].map((match) => match[1] ?? '');
}

function bicepParams(text: string): { name: string; hasDefault: boolean }[] {
  return [...text.matchAll(/^param (\w+) [\w.]+( =)?/gm)].map((match) => ({ name: match[1] ?? '', hasDefault: match[2] !== undefined }));
}

/**
 * Checks that brackets balance outside strings and comments: a cheap syntax canary. Bicep strings
 * interpolate (`'${f('x')}'`), so a string's `${` opens code again until its matching `}`.
 */
function unbalancedBrackets(code: string): string | undefined {
  const stack: string[] = [];
  const closers: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  let inString = false;
  for (let index = 0; index < code.length; index += 1) {
    const char = code[index] ?? '';
    if (inString) {
      if (char === '\\') index += 1;
      else if (char === "'") inString = false;
      else if (char === '$' && code[index + 1] === '{') {
        stack.push('${');
        inString = false;
        index += 1;
      }
      continue;
    }
    if (char === '/' && code[index + 1] === '/') index = code.indexOf('\n', index) === -1 ? code.length : code.indexOf('\n', index);
    else if (char === "'") inString = true;
    else if ('([{'.includes(char)) stack.push(char);
    else if (char in closers) {
      const open = stack.pop();
      if (open === '${' && char === '}') inString = true;
      else if (open !== closers[char]) return `unexpected ${char} at offset ${index}`;
    }
  }
  return stack.length === 0 && !inString ? undefined : `unclosed ${stack.join(' ')}`;
}

describe('infra/ contract with the code', () => {
  it('has balanced brackets in every Bicep file', () => {
    for (const { file, text } of allBicep) expect(unbalancedBrackets(text), file).toBeUndefined();
  });

  it('sets every setting lib/config.ts requires in Azure', () => {
    const generated = JSON.parse(read(GENERATED_APP_SETTINGS_FILE)) as Record<string, string>;
    const deployed = new Set([...Object.keys(generated), ...objectKeys(main, 'computedSettings')]);
    const required = SETTINGS.filter((setting) => setting.requiredInAzure).map((setting) => setting.name);
    expect(required.length).toBeGreaterThanOrEqual(3);
    for (const name of required) expect(deployed, `${name} is required in Azure`).toContain(name);
    expect(main).toContain("var settingDefaults = loadJsonContent('app-settings.generated.json')");
  });

  it('deploys the defaults generated from SETTINGS (run `npm run infra:settings` after changing lib/config.ts)', () => {
    expect(read(GENERATED_APP_SETTINGS_FILE)).toBe(renderAppSettingsFile());
  });

  it('sets only settings the code knows, and none that are for local runs', () => {
    const known = new Set(SETTINGS.map((setting) => setting.name));
    // Platform settings the Functions host and Application Insights read, not lib/config.ts.
    const platform = new Set([
      'AzureWebJobsStorage__credential',
      'AzureWebJobsStorage__clientId',
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
      'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
    ]);
    for (const key of objectKeys(main, 'computedSettings')) expect(known.has(key) || platform.has(key), `${key} in computedSettings`).toBe(true);
    for (const name of main.match(/FLEETGUARD_[A-Z_]+/g) ?? []) expect(known, name).toContain(name);
    // A connection string would need account keys; Flex Consumption rejects FUNCTIONS_WORKER_RUNTIME.
    for (const forbidden of [
      'AzureWebJobsStorage:',
      'FLEETGUARD_ALERT_ENDPOINT',
      'FLEETGUARD_ARM_CA_FILE',
      // Serving the HTTP API without App Service Authentication is for local runs only.
      'FLEETGUARD_LOCAL_DEVELOPMENT_AUTH',
      'FUNCTIONS_WORKER_RUNTIME',
      'WEBSITE_NODE_DEFAULT_VERSION',
      'listKeys(',
    ]) {
      expect(main, forbidden).not.toContain(forbidden);
    }
  });

  it('runs on Flex Consumption, Node 22, identity-only storage and a user-assigned identity', () => {
    expect(main).toMatch(/sku: \{ tier: 'FlexConsumption', name: 'FC1' \}/);
    expect(main).toMatch(/runtime: \{ name: 'node', version: '22' \}/);
    expect(main).toContain('allowSharedKeyAccess: false');
    expect(main).toMatch(/type: 'UserAssigned'\s+userAssignedIdentities/);
    expect(main).toContain('keyVaultReferenceIdentity: identity.id');
    expect(main).toMatch(/WorkspaceResourceId: workspace\.id/);
    expect(main).toContain("'@Microsoft.KeyVault(VaultName=${vault.name};SecretName=");
  });

  it('uses only documented built-in role ids, grants each required role, and justifies every assignment in a comment', () => {
    const granted = new Set<string>();
    for (const { file, text } of allBicep) {
      for (const id of text.match(/'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'/g) ?? []) {
        const bare = id.slice(1, -1);
        expect(BUILT_IN_ROLES, `${file}: ${bare} is not a documented built-in role id`).toHaveProperty(bare);
        granted.add(BUILT_IN_ROLES[bare] ?? '');
      }
      const lines = text.split('\n');
      lines.forEach((line, index) => {
        if (!/^(resource|module) \w+ '(Microsoft\.Authorization\/roleAssignments|modules\/(subscriptionReader|workspaceReader|rolloutWriter))/.test(line))
          return;
        expect(lines[index - 1] ?? '', `${file}:${index + 1} needs a comment saying why`).toMatch(/^\/\/ /);
      });
    }
    for (const role of REQUIRED_ROLES) expect(granted, role).toContain(role);
  });

  it('limits the rollout role to AKS upgrade actions, assignable only where rollouts are allowed', () => {
    const role = read('infra/modules/rolloutRole.bicep');
    const actions = [...role.matchAll(/^\s+'(Microsoft\.[^']+)'$/gm)].map((match) => match[1]);
    expect(actions).toEqual([
      'Microsoft.ContainerService/managedClusters/read',
      'Microsoft.ContainerService/managedClusters/write',
      'Microsoft.ContainerService/managedClusters/agentPools/read',
      'Microsoft.ContainerService/managedClusters/agentPools/write',
      'Microsoft.ContainerService/managedClusters/agentPools/upgradeNodeImageVersion/action',
      'Microsoft.ContainerService/managedClusters/maintenanceConfigurations/read',
      'Microsoft.ContainerService/locations/operations/read',
    ]);
    expect(role).not.toMatch(/\*'/);
    expect(main).toMatch(/module rolloutRole 'modules\/rolloutRole\.bicep' = if \(!empty\(rolloutResourceGroups\)\)/);
    expect(main).toMatch(/assignableScopes: \[for target in rolloutResourceGroups:/);
  });

  it('delivers exactly the event types the handlers handle, to registered functions, with retries and dead-lettering', () => {
    const topic = read('infra/modules/eventTopic.bicep');
    expect(topic).toMatch(/maxDeliveryAttempts: maxDeliveryAttempts/);
    expect(topic).toMatch(/deadLetterDestination: \{\s+endpointType: 'StorageBlob'/);
    const handlers = read('lib/events/handleEvent.ts');
    const delivered = main.match(/^\s+'Microsoft\.(ContainerService|PolicyInsights)\.\w+'$/gm)?.map((line) => line.trim()) ?? [];
    expect(delivered.length).toBe(9);
    for (const type of delivered) {
      const kind = type.slice(1, -1).split('.').pop() ?? '';
      expect(handlers, `${type} has a handler`).toContain(`'${kind}'`);
    }
    const functions = readdirSync(path.join(root, 'functions'))
      .map((file) => read(`functions/${file}`))
      .join('\n');
    for (const [, name] of main.matchAll(/functions\/(\w+)'/g)) expect(functions, `${name} is registered`).toContain(`app.eventGrid('${name}'`);
  });

  it('puts Entra ID in front of HTTP routes, with the app roles the code checks', () => {
    expect(main).toMatch(/requireAuthentication: true\s+unauthenticatedClientAction: 'Return401'/);
    expect(main).toContain("excludedPaths: ['/runtime/webhooks/eventgrid']");
    const manifest = JSON.parse(read('infra/app-roles.json')) as { value: string; id: string }[];
    expect(manifest.map((role) => role.value).sort()).toEqual([...Object.values(ROLLOUT_ROLES), ...Object.values(ALERT_ROLES)].sort());
    expect(new Set(manifest.map((role) => role.id)).size).toBe(manifest.length);
  });

  it('has a parameters file that sets every required parameter, nothing unknown, and a valid routing document', () => {
    const parameters = (JSON.parse(read('infra/main.parameters.json')) as { parameters: Record<string, { value: unknown }> }).parameters;
    const declared = bicepParams(main);
    for (const param of declared.filter((entry) => !entry.hasDefault)) expect(parameters, `${param.name} has no default`).toHaveProperty(param.name);
    for (const name of Object.keys(parameters))
      expect(
        declared.map((entry) => entry.name),
        `${name} is a parameter of main.bicep`,
      ).toContain(name);
    const secrets = parameters.alertSecretSettings?.value as string[];
    const env = Object.fromEntries(
      secrets.map((name) => [name, name === 'SLACK_WEBHOOK_URL' ? 'https://hooks.slack.com/services/T/B/x' : 'routing-key-placeholder']),
    );
    const config = parseAlertingDocument(parameters.alertRoutesDocument?.value as string, 'infra/main.parameters.json', env);
    expect([...config.receivers.keys()].sort()).toEqual(['oncall', 'platform']);
  });
});
