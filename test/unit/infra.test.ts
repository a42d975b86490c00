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
import { BUILT_IN_ROLE_IDS } from './infra/deployRules.js';

const root = packageRoot();
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const bicepFiles = ['infra/main.bicep', ...readdirSync(path.join(root, 'infra/modules')).map((file) => `infra/modules/${file}`)];
const main = read('infra/main.bicep');
const allBicep = bicepFiles.map((file) => ({ file, text: read(file) }));

/** Built-in role names by id, from the one documented table (test/unit/infra/deployRules.ts). */
const BUILT_IN_ROLES: Record<string, string> = Object.fromEntries(Object.entries(BUILT_IN_ROLE_IDS).map(([name, id]) => [id, name]));
/** Roles that must be granted, by the name the issue and README use. */
const REQUIRED_ROLES = [
  // Identity-based host storage (Learn "Connecting to host storage with an identity").
  'Storage Blob Data Owner',
  'Storage Queue Data Contributor',
  'Storage Table Data Contributor',
  // The Event Grid identity on the dead-letter container.
  'Storage Blob Data Contributor',
  'Key Vault Secrets User',
  'Monitoring Metrics Publisher',
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
        if (
          !/^(resource|module) \w+ '(Microsoft\.Authorization\/roleAssignments|(modules\/)?(subscriptionAccess|workspaceReader|rolloutWriter)\.bicep)/.test(
            line,
          )
        )
          return;
        expect(lines[index - 1] ?? '', `${file}:${index + 1} needs a comment saying why`).toMatch(/^\/\/ /);
        // The reason also travels with the assignment into Azure (roleAssignments description).
        if (line.includes('Microsoft.Authorization/roleAssignments')) {
          const end = lines.findIndex((candidate, at) => at > index && /^[}\]]$/.test(candidate));
          expect(lines.slice(index, end).join('\n'), `${file}:${index + 1} has a description`).toMatch(/^\s+description: '.{20,}'$/m);
        }
      });
    }
    for (const role of REQUIRED_ROLES) expect(granted, role).toContain(role);
  });

  it('limits the rollout role to AKS upgrade actions, defined per subscription and assigned only where rollouts are allowed', () => {
    const access = read('infra/modules/subscriptionAccess.bicep');
    const body = access.slice(access.indexOf('var rolloutActions = ['), access.indexOf('\n]', access.indexOf('var rolloutActions = [')));
    const actions = [...body.matchAll(/^\s+'(Microsoft\.[^']+)'$/gm)].map((match) => match[1]);
    expect(actions).toEqual([
      'Microsoft.ContainerService/managedClusters/read',
      'Microsoft.ContainerService/managedClusters/write',
      'Microsoft.ContainerService/managedClusters/agentPools/read',
      'Microsoft.ContainerService/managedClusters/agentPools/write',
      'Microsoft.ContainerService/managedClusters/agentPools/upgradeNodeImageVersion/action',
    ]);
    expect(access).not.toMatch(/\*'/);
    expect(access).toMatch(/resource rolloutRole 'Microsoft\.Authorization\/roleDefinitions@2022-04-01' = if \(!empty\(localRolloutGroups\)\)/);
    // Assignable in its own subscription only, so removing a resource group or a subscription from
    // the parameters never shrinks assignableScopes (Azure/bicep#17145).
    expect(access.match(/assignableScopes: (.+)$/gm)).toEqual(Array(4).fill('assignableScopes: [subscription().id]'));
    expect(access).toMatch(/module rolloutWriter 'rolloutWriter\.bicep' = \[\s+for target in localRolloutGroups:/);
    expect(main).toMatch(/module subscriptionAccess 'modules\/subscriptionAccess\.bicep' = \[\s+for subscriptionId in accessSubscriptions:/);
  });

  it('splits the identities: host storage and the deployment package on the host identity, ARM and app tables on the app identity', () => {
    expect(main).toContain('AZURE_CLIENT_ID: identity.properties.clientId');
    expect(main).toContain('AzureWebJobsStorage__clientId: hostIdentity.properties.clientId');
    expect(main).toMatch(/authentication: \{\s+type: 'UserAssignedIdentity'\s+userAssignedIdentityResourceId: hostIdentity\.id/);
    expect(main).toContain("userAssignedIdentities: { '${identity.id}': {}, '${hostIdentity.id}': {} }");
    // Durable's task hub as Bicep names it is the one host.json uses, with the default partition count.
    expect(main).toContain('DURABLE_TASK_HUB_NAME: taskHubName');
    expect(main).toContain('var durablePartitionCount = 4');
    const host = JSON.parse(read('host.json')) as { extensions?: { durableTask?: { hubName?: string; storageProvider?: { partitionCount?: number } } } };
    expect(host.extensions?.durableTask?.hubName).toBe('%DURABLE_TASK_HUB_NAME%');
    expect(host.extensions?.durableTask?.storageProvider?.partitionCount ?? 4).toBe(4);
    // Every table setting of lib/config.ts is created and granted one by one.
    const tableSettings = SETTINGS.filter((setting) => /^FLEETGUARD_\w+_TABLE$/.test(setting.name)).map((setting) => setting.name);
    const listed = [
      ...main.slice(main.indexOf('var appTableNames = ['), main.indexOf('\n]', main.indexOf('var appTableNames = ['))).matchAll(/tableSettings\.(\w+)/g),
    ].map((match) => match[1]);
    expect(listed.sort()).toEqual(tableSettings.sort());
  });

  it('turns storage and Key Vault public network access off, disables basic publishing credentials and sends platform logs to the workspace', () => {
    expect(main).toMatch(/param networkAccess string = 'private'/);
    expect(main).toContain("publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'");
    expect(main).toContain("publicNetworkAccess: privateNetworking && empty(operatorIpRanges) ? 'Disabled' : 'Enabled'");
    expect(main).toContain('virtualNetworkSubnetId: privateNetworking ? privateNetwork!.outputs.integrationSubnetId : null');
    const network = read('infra/modules/privateNetwork.bicep');
    for (const groupId of ['blob', 'queue', 'table', 'vault']) expect(network).toContain(`groupId: '${groupId}'`);
    expect(network).toContain("serviceName: 'Microsoft.App/environments'");
    for (const name of ['scm', 'ftp']) {
      expect(main).toMatch(
        new RegExp(
          `'Microsoft\\.Web\\/sites\\/basicPublishingCredentialsPolicies@2024-04-01' = \\{\\s+parent: functionApp\\s+name: '${name}'\\s+properties: \\{ allow: false \\}`,
        ),
      );
    }
    for (const scope of ['functionApp', 'vault', 'storage', 'blobService', 'queueService', 'tableService', 'deadLetterBlobService']) {
      expect(main).toMatch(
        new RegExp(
          `'Microsoft\\.Insights\\/diagnosticSettings@2021-05-01-preview' = \\{\\s+scope: ${scope}\\s+name: 'to-\\$\\{workspace\\.name\\}'\\s+properties: \\{\\s+workspaceId: workspace\\.id`,
        ),
      );
    }
  });

  it('delivers exactly the event types the handlers handle, to registered functions, with retries and dead-lettering', () => {
    const topic = read('infra/modules/eventTopic.bicep');
    expect(topic).toMatch(/maxDeliveryAttempts: maxDeliveryAttempts/);
    expect(topic).toMatch(/var deadLetterDestination = \{\s+endpointType: 'StorageBlob'/);
    // Global (subscription-source) topics carry no identity and dead-letter without one (issue 15.1).
    expect(topic).toContain("var deadLetterWithIdentity = toLower(location) != 'global'");
    expect(topic).toContain('identity: deadLetterWithIdentity ? topicIdentity : null');
    expect(topic).toContain('deadLetterDestination: deadLetterWithIdentity ? null : deadLetterDestination');
    expect(main).toMatch(/module policyEvents 'modules\/eventTopic\.bicep' = \[[\s\S]+?location: 'global'/);
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
    expect(main).toContain("var eventGridWebhookPaths = ['/runtime/webhooks/EventGrid', '/runtime/webhooks/eventgrid']");
    expect(main).toContain('excludedPaths: concat(eventGridWebhookPaths, vendorWebhookPaths)');
    // Slack and PagerDuty authenticate with their signatures, not Entra ID: their URLs must pass App Service Authentication.
    expect(main).toContain("var vendorWebhookPaths = ['/api/slack/interactions', '/api/pagerduty/webhook']");
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
