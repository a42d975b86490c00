/**
 * Rules Azure enforces when the templates are deployed, not when they are compiled: the schema
 * (bicepSchema.test.ts) accepts all of these mistakes, a first deployment refuses them or ends
 * weakened. Each rule returns its violations as sentences naming the file, line and declaration,
 * and names its source next to it.
 */
import type { BicepFile, BicepValue, ModuleDecl, ResourceDecl } from '../../../tooling/bicep/bicepReader.js';
import { entry, identifiersIn } from '../../../tooling/bicep/bicepReader.js';

type Declaration = ResourceDecl | ModuleDecl;

function where(decl: Declaration): string {
  return `${decl.file}:${decl.line} ${decl.symbol}`;
}

/**
 * Site properties and siteConfig properties a Flex Consumption app refuses or ignores. Source:
 * "Flex Consumption plan deprecations", learn.microsoft.com/azure/azure-functions/functions-app-settings
 * (MicrosoftDocs/azure-docs articles/azure-functions/functions-app-settings.md, read at fork
 * specialized806/azure-docs 02e3b42b0e802fd7fb706f9ff97eb2036815807f). The page writes them as
 * `properties.X`; in a Microsoft.Web/sites body the runtime ones sit under properties.siteConfig.
 * Deployments that set them fail ("... for Flex Consumption sites is invalid", error 51021 in
 * public reports, not reproduced here) or silently lose the setting.
 */
export const FLEX_REFUSED_SITE_CONFIG = [
  'alwaysOn',
  'ftpsState',
  'functionAppScaleLimit',
  'javaVersion',
  'linuxFxVersion',
  'netFrameworkVersion',
  'powerShellVersion',
  'preWarmedInstanceCount',
  'use32BitWorkerProcess',
  'vnetRouteAllEnabled',
  'windowsFxVersion',
] as const;
export const FLEX_REFUSED_SITE_PROPERTIES = [
  'containerSize',
  'dnsConfiguration',
  // Not supported per the plan's "Considerations" (certificate-based platform features).
  'endToEndEncryptionEnabled',
  'isXenon',
  'reserved',
  'vnetBackupRestoreEnabled',
  'vnetContentShareEnabled',
  'vnetImagePullEnabled',
  'vnetRouteAllEnabled',
] as const;

/**
 * App settings Flex Consumption refuses (same source): the platform owns them or functionAppConfig
 * replaces them. Plus the ones its "Considerations" list as not supported (WEBSITE_TIME_ZONE, TZ,
 * WEBSITE_LOAD_CERTIFICATES): learn.microsoft.com/azure/azure-functions/flex-consumption-plan
 * (articles/azure-functions/flex-consumption-plan.md, fork specialized806/azure-docs 1dd74df5bee4e1ebccc7d9c9f6c1027a003653b4).
 */
export const FLEX_REFUSED_APP_SETTINGS = [
  'ENABLE_ORYX_BUILD',
  'FUNCTIONS_EXTENSION_VERSION',
  'FUNCTIONS_MAX_HTTP_CONCURRENCY',
  'FUNCTIONS_WORKER_DYNAMIC_CONCURRENCY_ENABLED',
  'FUNCTIONS_WORKER_PROCESS_COUNT',
  'FUNCTIONS_WORKER_RUNTIME',
  'FUNCTIONS_WORKER_RUNTIME_VERSION',
  'SCM_DO_BUILD_DURING_DEPLOYMENT',
  'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
  'WEBSITE_CONTENTOVERVNET',
  'WEBSITE_CONTENTSHARE',
  'WEBSITE_DNS_SERVER',
  'WEBSITE_MAX_DYNAMIC_APPLICATION_SCALE_OUT',
  'WEBSITE_NODE_DEFAULT_VERSION',
  'WEBSITE_RUN_FROM_PACKAGE',
  'WEBSITE_SKIP_CONTENTSHARE_VALIDATION',
  'WEBSITE_VNET_ROUTE_ALL',
  'TZ',
  'WEBSITE_LOAD_CERTIFICATES',
  'WEBSITE_TIME_ZONE',
] as const;

/** A Flex Consumption site: only Flex sites carry properties.functionAppConfig (Microsoft.Web/sites@2023-12-01 and later). */
function isFlexSite(resource: ResourceDecl): boolean {
  return resource.type === 'Microsoft.Web/sites' && entry(entry(resource.body, 'properties'), 'functionAppConfig') !== undefined;
}

export function flexRefusedSiteProperties(files: readonly BicepFile[]): string[] {
  const violations: string[] = [];
  for (const resource of files.flatMap((file) => file.resources).filter(isFlexSite)) {
    const properties = entry(resource.body, 'properties');
    for (const name of FLEX_REFUSED_SITE_PROPERTIES)
      if (entry(properties, name) !== undefined) violations.push(`${where(resource)}: properties.${name} is refused on Flex Consumption`);
    for (const name of FLEX_REFUSED_SITE_CONFIG)
      if (entry(entry(properties, 'siteConfig'), name) !== undefined) violations.push(`${where(resource)}: properties.siteConfig.${name} is refused on Flex Consumption`);
  }
  return violations;
}

/** Every key of every object literal and every string literal in a value: where an app setting name can hide. */
function namesIn(value: BicepValue | undefined, into: Set<string>): Set<string> {
  if (!value) return into;
  if (value.kind === 'object')
    for (const item of value.entries) {
      if (item.key) into.add(item.key);
      namesIn(item.value, into);
    }
  if (value.kind === 'array') for (const item of value.items) namesIn(item, into);
  if (value.kind === 'for') namesIn(value.body, into);
  if (value.kind === 'string') into.add(value.value);
  if (value.kind === 'expression' || value.kind === 'interpolated') for (const match of value.text.matchAll(/[A-Z][A-Z0-9_]{3,}/g)) into.add(match[0]);
  return into;
}

/**
 * App setting names that reach a Flex site: every name or string in the Bicep (vars such as
 * computedSettings, the site itself), plus the names the caller gathers from the generated defaults,
 * lib/config.ts SETTINGS and the parameters files (overrides, secret settings).
 */
export function flexRefusedAppSettings(files: readonly BicepFile[], otherNames: ReadonlyMap<string, readonly string[]>): string[] {
  const violations: string[] = [];
  const refused = new Set<string>(FLEX_REFUSED_APP_SETTINGS);
  for (const file of files) {
    if (!file.resources.some(isFlexSite)) continue;
    for (const variable of file.vars)
      for (const name of namesIn(variable.value, new Set())) if (refused.has(name)) violations.push(`${file.file}:${variable.line} var ${variable.name}: app setting ${name} is refused on Flex Consumption`);
    for (const resource of file.resources)
      for (const name of namesIn(resource.body, new Set())) if (refused.has(name)) violations.push(`${where(resource)}: app setting ${name} is refused on Flex Consumption`);
  }
  for (const [origin, names] of otherNames) for (const name of names) if (refused.has(name)) violations.push(`${origin}: app setting ${name} is refused on Flex Consumption`);
  return violations;
}

/**
 * System topic types whose source is a subscription, a resource group or otherwise global: they live
 * in the `global` location and take no managed identity. Sources: "For global Azure event sources such
 * as Azure subscriptions, resource groups, or Azure Maps, Event Grid creates the system topic in global
 * location" (learn.microsoft.com/azure/event-grid/system-topics); the Identity page "isn't shown for a
 * system topic that's in the global location" (learn.microsoft.com/azure/event-grid/enable-identity-system-topics).
 * Policy state changes are published per subscription (Microsoft.PolicyInsights.PolicyStates).
 */
export const GLOBAL_TOPIC_TYPES = ['Microsoft.PolicyInsights.PolicyStates', 'Microsoft.Resources.Subscriptions', 'Microsoft.Resources.ResourceGroups', 'Microsoft.Maps.Accounts'];

function literal(value: BicepValue | undefined): string | undefined {
  return value?.kind === 'string' ? value.value : undefined;
}

function moduleFile(files: readonly BicepFile[], call: ModuleDecl): BicepFile | undefined {
  const directory = call.file.slice(0, call.file.lastIndexOf('/'));
  return files.find((file) => file.file === `${directory}/${call.path}`);
}

/**
 * No identity on a system topic whose source is global, and no delivery or dead-lettering "with
 * resource identity" from it: the topic has none to use. A literal identity object in the module
 * is given to every topic the module creates, the global one included.
 */
export function identityOnGlobalTopics(files: readonly BicepFile[]): string[] {
  const violations: string[] = [];
  for (const call of files.flatMap((file) => file.modules)) {
    const params = entry(call.body, 'params');
    const global = literal(entry(params, 'location'))?.toLowerCase() === 'global' || GLOBAL_TOPIC_TYPES.includes(literal(entry(params, 'topicType')) ?? '');
    const target = global ? moduleFile(files, call) : undefined;
    if (!target) continue;
    for (const resource of target.resources.filter((candidate) => !candidate.existing)) {
      if (resource.type === 'Microsoft.EventGrid/systemTopics' && entry(resource.body, 'identity')?.kind === 'object')
        violations.push(`${where(call)} → ${where(resource)}: a managed identity on a system topic with a global source (${literal(entry(params, 'topicType'))})`);
      if (resource.type === 'Microsoft.EventGrid/systemTopics/eventSubscriptions')
        for (const key of ['deadLetterWithResourceIdentity', 'deliveryWithResourceIdentity'])
          if (entry(entry(resource.body, 'properties'), key)?.kind === 'object')
            violations.push(`${where(call)} → ${where(resource)}: ${key} on a subscription to a global system topic, which has no identity`);
    }
  }
  return violations;
}

/**
 * One system topic per source: "Only one Azure Event Grid system topic is allowed per source (like
 * subscription, resource group, etc.)" (learn.microsoft.com/azure/event-grid/system-topics; Azure
 * answers 400 "Only one system topic is allowed per source."). A module that creates a system topic
 * must be able to reuse the existing one instead: the topic it creates is conditional on a parameter,
 * an `existing` reference named from that parameter is what the event subscription hangs off, and every
 * call passes that parameter. The parameters files name each source once.
 */
export function oneTopicPerSource(files: readonly BicepFile[], parameters: ReadonlyMap<string, Record<string, unknown>>): string[] {
  const violations: string[] = [];
  const reuseParams = new Map<string, string>();
  for (const file of files) {
    const created = file.resources.filter((resource) => resource.type === 'Microsoft.EventGrid/systemTopics' && !resource.existing);
    for (const topic of created) {
      const declared = new Set(file.params.map((param) => param.name));
      const expanded = expand(identifiersIn(topic.condition ?? ''), file);
      const reuse = [...expanded].find((name) => declared.has(name));
      const reference = file.resources.find(
        (resource) => resource.type === 'Microsoft.EventGrid/systemTopics' && resource.existing && reuse !== undefined && expand(identifiersIn(resource.text), file).has(reuse),
      );
      if (!topic.condition || !reuse) violations.push(`${where(topic)}: the system topic is created unconditionally; a source that already has one fails the deployment`);
      else if (!reference) violations.push(`${where(topic)}: no existing system topic reference named from ${reuse}`);
      else {
        reuseParams.set(file.file, reuse);
        for (const subscription of file.resources.filter((resource) => resource.type === 'Microsoft.EventGrid/systemTopics/eventSubscriptions'))
          if (!identifiersIn(subscription.text).has(reference.symbol)) violations.push(`${where(subscription)}: the event subscription does not hang off ${reference.symbol}`);
      }
    }
  }
  for (const call of files.flatMap((file) => file.modules)) {
    const target = moduleFile(files, call);
    const reuse = target ? reuseParams.get(target.file) : undefined;
    if (reuse && entry(entry(call.body, 'params'), reuse) === undefined) violations.push(`${where(call)}: does not pass ${reuse}, so an existing system topic cannot be reused`);
  }
  for (const [file, values] of parameters) {
    const duplicates = (list: unknown, key: string) => {
      const seen = Array.isArray(list) ? list.map((item) => String((item as Record<string, unknown>)[key]).toLowerCase()) : [];
      return seen.filter((value, index) => seen.indexOf(value) !== index);
    };
    for (const id of duplicates(values['aksEventSources'], 'clusterId')) violations.push(`${file}: aksEventSources names ${id} twice`);
    for (const id of duplicates(values['policyEventSources'], 'subscriptionId')) violations.push(`${file}: policyEventSources names ${id} twice`);
  }
  return violations;
}

/** Identifiers a set refers to, with vars (and `existing` references) replaced by what they refer to, transitively. */
function expand(names: ReadonlySet<string>, file: BicepFile): Set<string> {
  const result = new Set(names);
  const queue = [...names];
  while (queue.length > 0) {
    const name = queue.pop()!;
    const variable = file.vars.find((candidate) => candidate.name === name);
    const reference = file.resources.find((candidate) => candidate.existing && candidate.symbol === name);
    const source = variable?.text ?? reference?.text;
    if (!source) continue;
    for (const inner of identifiersIn(source))
      if (!result.has(inner)) {
        result.add(inner);
        queue.push(inner);
      }
  }
  return result;
}

/**
 * A resource whose id or URL another declaration builds from strings (its name variable or
 * parameter, not its symbol) gives no implicit dependency: Azure may deploy the two in any order
 * (learn.microsoft.com/azure/azure-resource-manager/bicep/resource-dependencies: implicit dependencies
 * come from symbolic references). Such a declaration must name the resource by symbol or in dependsOn.
 */
export function dependenciesForStringReferences(files: readonly BicepFile[]): string[] {
  const violations: string[] = [];
  for (const file of files) {
    const owners = new Map<string, ResourceDecl>();
    for (const resource of file.resources.filter((candidate) => !candidate.existing)) {
      const name = entry(resource.body, 'name');
      // A loop's item variable names a different resource per iteration and nothing outside the loop.
      const loopVariables = identifiersIn((resource.loop ?? '').split(/\bin\b/)[0] ?? '');
      if (name?.kind === 'expression' && /^[A-Za-z_]\w*$/.test(name.text) && !loopVariables.has(name.text)) owners.set(name.text, resource);
    }
    const declarations: Declaration[] = [...file.resources.filter((resource) => !resource.existing), ...file.modules];
    for (const decl of declarations) {
      const dependsOn = entry(decl.body, 'dependsOn');
      const explicit = dependsOn?.kind === 'array' ? new Set(dependsOn.items.flatMap((item) => (item.kind === 'expression' ? [...identifiersIn(item.text)] : []))) : new Set<string>();
      const referenced = expand(identifiersIn(decl.text.slice(decl.text.indexOf('='))), file);
      for (const [nameVariable, owner] of owners) {
        if (owner === decl || !referenced.has(nameVariable)) continue;
        if (!referenced.has(owner.symbol) && !explicit.has(owner.symbol))
          violations.push(`${where(decl)}: refers to ${owner.symbol} through the string ${nameVariable} but neither by symbol nor in dependsOn`);
      }
    }
  }
  return violations;
}

/**
 * Built-in role definition ids by name, from learn.microsoft.com/azure/role-based-access-control/built-in-roles
 * (MicrosoftDocs/azure-docs articles/role-based-access-control/built-in-roles.md). Every GUID in the
 * Bicep must be one of these and carry its name next to it, so a wrong id cannot pass for a right role.
 */
export const BUILT_IN_ROLE_IDS: Readonly<Record<string, string>> = {
  Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  'Log Analytics Reader': '73c42c96-874c-492b-b04d-ab87d138a893',
  'Monitoring Reader': '43d0d8ad-25c7-4714-9337-8ba259a9fe05',
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe',
  'Storage Blob Data Reader': '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Storage Queue Data Message Processor': '8a0f0c08-91a1-4084-bc3d-661d67233fed',
  'Storage Queue Data Message Sender': 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a',
  'Storage Queue Data Reader': '19e7f393-937e-4f77-808e-94535e297925',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Storage Table Data Reader': '76199698-9eea-4c19-bc75-cec21354c6b6',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  'Key Vault Secrets Officer': 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
};

const normalize = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * Each GUID literal: a documented built-in role id, named next to it — by a comment on its line or
 * the line above, or by the key or variable it is assigned to (storageBlobDataOwner, readerRoleId).
 */
export function roleIdsByName(sources: ReadonlyMap<string, string>): string[] {
  const violations: string[] = [];
  const byId = new Map(Object.entries(BUILT_IN_ROLE_IDS).map(([name, id]) => [id, name]));
  for (const [file, text] of sources) {
    const lines = text.split('\n');
    lines.forEach((line, index) => {
      for (const match of line.matchAll(/'([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})'/g)) {
        const id = match[1]!.toLowerCase();
        const name = byId.get(id);
        if (!name) {
          violations.push(`${file}:${index + 1}: ${id} is not a documented built-in role id`);
          continue;
        }
        const comments = [line, lines[index - 1] ?? ''].map((candidate) => candidate.slice(candidate.indexOf('//') >= 0 ? candidate.indexOf('//') : candidate.length));
        const assignedTo = /^\s*(?:var\s+)?([A-Za-z_]\w*)\s*[:=]/.exec(line)?.[1] ?? '';
        const key = normalize(assignedTo).replace(/(roledefinitionid|roleid|role)$/, '');
        const named = comments.some((comment) => comment.toLowerCase().includes(name.toLowerCase())) || (key !== '' && key === normalize(name));
        if (!named) violations.push(`${file}:${index + 1}: ${id} (${name}) is not named next to it${assignedTo ? ` (assigned to ${assignedTo})` : ''}`);
      }
    });
  }
  return violations;
}
