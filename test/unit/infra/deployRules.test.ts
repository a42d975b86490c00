/**
 * Deploy-time rules (deployRules.ts, each with its source) on the templates, and each shown to fail on
 * a mistake seeded into a copy: Flex Consumption's refused site properties and app settings, no
 * identity on global system topics, one system topic per source, role ids by name, and explicit
 * dependencies for resources another declaration refers to by string.
 */
import { describe, expect, it } from 'vitest';

import { SETTINGS } from '../../../lib/config.js';
import { GENERATED_APP_SETTINGS_FILE } from '../../../lib/infra/appSettings.js';
import type { BicepFile } from '../../../tooling/bicep/bicepReader.js';
import {
  dependenciesForStringReferences,
  flexRefusedAppSettings,
  flexRefusedSiteProperties,
  identityOnGlobalTopics,
  oneTopicPerSource,
  roleIdsByName,
} from './deployRules.js';
import { bicepFilesUnder, parametersFiles, readInfra, readParameters, readText, seed } from './templates.js';

const MAIN = 'infra/main.bicep';
const TOPIC = 'infra/modules/eventTopic.bicep';

function seeded(file: string, from: string, to: string): BicepFile[] {
  return readInfra({ [file]: seed(readText(file), from, to) });
}

function parameters(extra: Record<string, Record<string, unknown>> = {}): Map<string, Record<string, unknown>> {
  return new Map([...parametersFiles().map((file) => [file, readParameters(file)] as const), ...Object.entries(extra)]);
}

/** App setting names that reach the app from outside the Bicep: generated defaults, SETTINGS, parameters files. */
function otherSettingNames(values = parameters()): Map<string, string[]> {
  const names = new Map<string, string[]>([
    [GENERATED_APP_SETTINGS_FILE, Object.keys(JSON.parse(readText(GENERATED_APP_SETTINGS_FILE)) as object)],
    ['lib/config.ts SETTINGS', SETTINGS.map((setting) => setting.name)],
  ]);
  for (const [file, value] of values) {
    const overrides = Object.keys((value['appSettingOverrides'] as object | undefined) ?? {});
    const secrets = (value['alertSecretSettings'] as string[] | undefined) ?? [];
    names.set(file, [...overrides, ...secrets]);
  }
  return names;
}

function bicepSources(replace: Record<string, string> = {}): Map<string, string> {
  return new Map(bicepFilesUnder('infra').map((file) => [file, replace[file] ?? readText(file)]));
}

describe('deploy-time rules', () => {
  const files = readInfra();

  describe('Flex Consumption refuses some site properties (learn: functions-app-settings, "Flex Consumption plan deprecations")', () => {
    it('the function app sets none of them', () => {
      expect(flexRefusedSiteProperties(files)).toEqual([]);
    });
    it.each([
      ['siteConfig.ftpsState', "minTlsVersion: '1.2'", "minTlsVersion: '1.2'\n      ftpsState: 'Disabled'"],
      ['siteConfig.alwaysOn', "minTlsVersion: '1.2'", "minTlsVersion: '1.2'\n      alwaysOn: true"],
      ['containerSize', 'httpsOnly: true', 'httpsOnly: true\n    containerSize: 2048'],
    ])('fails on a seeded %s', (property, from, to) => {
      expect(flexRefusedSiteProperties(seeded(MAIN, from, to))).toEqual([`${MAIN}:${lineOf(MAIN, 'resource functionApp ')} functionApp: properties.${property} is refused on Flex Consumption`]);
    });
  });

  describe('Flex Consumption refuses some app settings (same source)', () => {
    it('no refused name in the Bicep, the generated defaults, SETTINGS or the parameters files', () => {
      expect(flexRefusedAppSettings(files, otherSettingNames())).toEqual([]);
    });
    it('fails on FUNCTIONS_WORKER_RUNTIME seeded into computedSettings', () => {
      const violations = flexRefusedAppSettings(seeded(MAIN, 'var computedSettings = {', "var computedSettings = {\n  FUNCTIONS_WORKER_RUNTIME: 'node'"), otherSettingNames());
      expect(violations).toEqual([expect.stringMatching(/var computedSettings: app setting FUNCTIONS_WORKER_RUNTIME is refused on Flex Consumption/)]);
    });
    it('fails on WEBSITE_RUN_FROM_PACKAGE seeded into a parameters file', () => {
      const values = parameters({ 'seeded.parameters.json': { appSettingOverrides: { WEBSITE_RUN_FROM_PACKAGE: '1' } } });
      expect(flexRefusedAppSettings(files, otherSettingNames(values))).toEqual(['seeded.parameters.json: app setting WEBSITE_RUN_FROM_PACKAGE is refused on Flex Consumption']);
    });
  });

  describe('no managed identity on a system topic whose source is global (learn: event-grid/system-topics, enable-identity-system-topics)', () => {
    it('the Policy topic (a subscription source, location global) gets none, and nothing delivers with it', () => {
      expect(identityOnGlobalTopics(files)).toEqual([]);
    });
    it('fails on an identity given to every topic the module creates', () => {
      // A module whose topic always carries an identity, called for the Policy source by main.bicep.
      const moduleWithIdentity = [
        'param topicName string',
        'param location string',
        'param sourceId string',
        'param topicType string',
        "resource createdTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {",
        '  name: topicName',
        '  location: location',
        "  identity: { type: 'SystemAssigned' }",
        '  properties: { source: sourceId, topicType: topicType }',
        '}',
        '',
      ].join('\n');
      expect(identityOnGlobalTopics(readInfra({ [TOPIC]: moduleWithIdentity }))).toEqual([
        expect.stringMatching(/policyEvents → infra\/modules\/eventTopic\.bicep:5 createdTopic: a managed identity on a system topic with a global source \(Microsoft\.PolicyInsights\.PolicyStates\)/),
      ]);
    });
  });

  describe('one system topic per source (learn: event-grid/system-topics)', () => {
    it('an existing topic can be reused, every call can pass it, and no source is named twice', () => {
      expect(oneTopicPerSource(files, parameters())).toEqual([]);
    });
    it('fails on a topic created unconditionally', () => {
      expect(oneTopicPerSource(seeded(TOPIC, '= if (!reuseTopic) {', '= {'), parameters())).toEqual([
        expect.stringMatching(/eventTopic\.bicep:\d+ createdTopic: the system topic is created unconditionally/),
      ]);
    });
    it('fails on a call that cannot pass an existing topic', () => {
      expect(oneTopicPerSource(seeded(MAIN, "      existingTopicName: source.?systemTopicName ?? ''\n", ''), parameters())).toEqual([
        expect.stringMatching(/main\.bicep:\d+ aksEvents: does not pass existingTopicName/),
      ]);
    });
    it('fails on a parameters file that names a source twice', () => {
      const twice = readParameters('infra/examples/two-subscriptions.parameters.json');
      const policy = twice['policyEventSources'] as unknown[];
      expect(oneTopicPerSource(files, parameters({ 'seeded.parameters.json': { ...twice, policyEventSources: [...policy, policy[0]] } }))).toEqual([
        'seeded.parameters.json: policyEventSources names 11111111-1111-1111-1111-111111111111 twice',
      ]);
    });
  });

  describe('role ids by name (learn: role-based-access-control/built-in-roles)', () => {
    it('every GUID in the Bicep is a documented built-in role, named next to it', () => {
      expect(roleIdsByName(bicepSources())).toEqual([]);
    });
    it('fails on a role id under another role’s name, and on an unknown id', () => {
      const main = readText(MAIN);
      const contributor = /^\s+storageBlobDataContributor: '([0-9a-f-]+)'/m.exec(main);
      // The layout of the roles belongs to issue 14's least-privilege work; seed on whatever line names a Blob role.
      const line = contributor?.[0] ?? /^.*'ba92f5b4-2d11-453d-a403-e96b0029c9fe'.*$/m.exec(main)?.[0];
      expect(line, 'a Storage Blob Data Contributor id in main.bicep').toBeDefined();
      const wrongName = seed(main, line!, "  storageBlobDataOwner: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'");
      expect(roleIdsByName(bicepSources({ [MAIN]: wrongName }))).toEqual([expect.stringMatching(/ba92f5b4-2d11-453d-a403-e96b0029c9fe \(Storage Blob Data Contributor\) is not named next to it \(assigned to storageBlobDataOwner\)/)]);
      const unknown = seed(main, line!, "  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9ff'");
      expect(roleIdsByName(bicepSources({ [MAIN]: unknown }))).toEqual([expect.stringMatching(/ba92f5b4-2d11-453d-a403-e96b0029c9ff is not a documented built-in role id/)]);
    });
  });

  describe('a resource referred to by string has an explicit dependency (learn: bicep/resource-dependencies)', () => {
    it('the deployment container, the dead-letter container and reused topics are depended on', () => {
      expect(dependenciesForStringReferences(files)).toEqual([]);
    });
    it('fails on the deployment URL built from the container name string', () => {
      const byName = readText(MAIN).replace('${deploymentContainer.name}', '${deploymentContainerName}').replace('dependsOn: [deploymentContainer, ', 'dependsOn: [');
      expect(dependenciesForStringReferences(readInfra({ [MAIN]: byName }))).toEqual([
        expect.stringMatching(/main\.bicep:\d+ functionApp: refers to deploymentContainer through the string deploymentContainerName but neither by symbol nor in dependsOn/),
      ]);
    });
    it('fails on an event subscription under a topic reference without the dependency on the created topic', () => {
      expect(dependenciesForStringReferences(seeded(TOPIC, '  dependsOn: [createdTopic]\n', ''))).toEqual([
        expect.stringMatching(/eventTopic\.bicep:\d+ subscriptionToFunction: refers to createdTopic through the string topicName/),
      ]);
    });
  });
});

function lineOf(file: string, text: string): number {
  return readText(file).split('\n').findIndex((line) => line.startsWith(text)) + 1;
}
