/**
 * infra/**\/*.bicep against the resource types Azure publishes: every resource declaration is checked
 * against the vendored Azure/bicep-types-az definitions (test/fixtures/bicep-types/, sources and
 * commits in its SOURCES.json) for an unknown type or api-version, an unknown property path, a
 * string outside a closed enum, a missing required property and a read-only property set. There is
 * no Bicep CLI here; this is what `az bicep build` would have caught of those, before a deployment.
 * Each check is shown to fail on a mistake seeded into a copy of main.bicep.
 */
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import type { BicepFile } from '../../../tooling/bicep/bicepReader.js';
import { checkResource, type SchemaIssue } from '../../../tooling/bicep/schemaCheck.js';
import { parametersFiles, readInfra, readParameters, readText, seed, vendoredTypes } from './templates.js';

function schemaIssues(files: readonly BicepFile[]): SchemaIssue[] {
  return files.flatMap((file) => file.resources.flatMap((resource) => checkResource(resource, vendoredTypes)));
}

function seededMain(from: string, to: string): BicepFile[] {
  return readInfra({ 'infra/main.bicep': seed(readText('infra/main.bicep'), from, to) });
}

/** Module calls whose params are not the module's: unknown names, or a parameter without default left out. */
function moduleParamIssues(files: readonly BicepFile[]): string[] {
  const byPath = new Map(files.map((file) => [file.file, file]));
  const issues: string[] = [];
  for (const file of files) {
    for (const call of file.modules) {
      const target = byPath.get(path.posix.join(path.posix.dirname(file.file), call.path));
      if (!target) {
        issues.push(`${file.file}:${call.line} ${call.symbol}: module ${call.path} not found`);
        continue;
      }
      const params = call.body.entries.find((entry) => entry.key === 'params')?.value;
      const given = params?.kind === 'object' ? params.entries.map((entry) => entry.key ?? entry.keyText) : [];
      for (const name of given)
        if (!target.params.some((param) => param.name === name)) issues.push(`${file.file}:${call.line} ${call.symbol}: ${call.path} has no parameter ${name}`);
      for (const param of target.params)
        if (!param.hasDefault && !given.includes(param.name)) issues.push(`${file.file}:${call.line} ${call.symbol}: required parameter ${param.name} of ${call.path} is not set`);
    }
  }
  return issues;
}

/** A JSON parameter value against a Bicep parameter type (the built-in types; user-defined types are not checked). */
function fitsType(value: unknown, type: string): boolean {
  if (type === 'string') return typeof value === 'string';
  if (type === 'int') return Number.isInteger(value);
  if (type === 'bool') return typeof value === 'boolean';
  if (type === 'array' || type.endsWith('[]')) return Array.isArray(value);
  if (type === 'object') return typeof value === 'object' && value !== null && !Array.isArray(value);
  return true;
}

function parametersIssues(file: string, parameters: Record<string, unknown>, main: BicepFile): string[] {
  const issues: string[] = [];
  for (const [name, value] of Object.entries(parameters)) {
    const param = main.params.find((candidate) => candidate.name === name);
    if (!param) issues.push(`${file}: ${name} is not a parameter of main.bicep`);
    else if (!fitsType(value, param.type)) issues.push(`${file}: ${name} is ${JSON.stringify(value)}, not a ${param.type}`);
  }
  for (const param of main.params) if (!param.hasDefault && !(param.name in parameters)) issues.push(`${file}: required parameter ${param.name} is missing`);
  return issues;
}

describe('infra/**/*.bicep against Azure/bicep-types-az', () => {
  const files = readInfra();
  const main = files.find((file) => file.file === 'infra/main.bicep')!;

  it('reads every declaration of every Bicep file', () => {
    expect(files.map((file) => file.file)).toContain('infra/modules/eventTopic.bicep');
    expect(main.resources.length).toBeGreaterThanOrEqual(15);
    expect(main.modules.length).toBeGreaterThanOrEqual(3);
  });

  it('declares only known types and api-versions, known property paths, enum values in their enums, every required property and no read-only one', () => {
    expect(schemaIssues(files).map((issue) => issue.message)).toEqual([]);
  });

  it('calls modules with exactly their parameters', () => {
    expect(moduleParamIssues(files)).toEqual([]);
  });

  it.each(parametersFiles())('has a parameters file (%s) whose names and value types are main.bicep parameters', (file) => {
    expect(parametersIssues(file, readParameters(file), main)).toEqual([]);
  });

  describe('fails on a mistake seeded into a copy of main.bicep', () => {
    const cases: { mistake: string; from: string; to: string; kind: SchemaIssue['kind']; message: RegExp }[] = [
      {
        mistake: 'a misspelled property',
        from: 'httpsOnly: true',
        to: 'httpOnly: true',
        kind: 'unknown-property',
        message: /functionApp \(Microsoft\.Web\/sites@2024-04-01\) properties\.httpOnly: unknown property httpOnly \(did you mean httpsOnly\?\)/,
      },
      {
        mistake: 'a value outside a closed enum',
        from: "unauthenticatedClientAction: 'Return401'",
        to: "unauthenticatedClientAction: 'Return402'",
        kind: 'enum',
        message: /properties\.globalValidation\.unauthenticatedClientAction: 'Return402' is not one of 'AllowAnonymous' \| 'RedirectToLoginPage' \| 'Return401' \| 'Return403'/,
      },
      {
        mistake: 'a read-only property set',
        from: 'httpsOnly: true',
        to: "httpsOnly: true\n    defaultHostName: 'fleetguard.example.net'",
        kind: 'read-only',
        message: /properties\.defaultHostName: defaultHostName is read-only/,
      },
      {
        mistake: 'a missing required property',
        from: "kind: 'StorageV2'\n",
        to: '',
        kind: 'required',
        message: /storage \(Microsoft\.Storage\/storageAccounts@2023-05-01\) \(body\): missing required property kind/,
      },
      {
        mistake: 'an api-version that does not exist',
        from: "'Microsoft.KeyVault/vaults@2023-07-01'",
        to: "'Microsoft.KeyVault/vaults@2023-07-15'",
        kind: 'unknown-type',
        message: /vault \(Microsoft\.KeyVault\/vaults@2023-07-15\): unknown resource type or api-version \(vendored: Microsoft\.KeyVault\/vaults@2023-07-01\)/,
      },
      {
        mistake: 'a resource type that does not exist',
        from: "'Microsoft.Insights/components@2020-02-02'",
        to: "'Microsoft.Insights/component@2020-02-02'",
        kind: 'unknown-type',
        message: /appInsights \(Microsoft\.Insights\/component@2020-02-02\): unknown resource type or api-version/,
      },
      {
        mistake: 'a value of the wrong type',
        from: 'httpsOnly: true',
        to: "httpsOnly: 'yes'",
        kind: 'type-mismatch',
        message: /properties\.httpsOnly: expected bool, got 'yes'/,
      },
    ];
    it.each(cases)('$mistake', ({ from, to, kind, message }) => {
      const issues = schemaIssues(seededMain(from, to));
      expect(issues.map((issue) => issue.kind)).toEqual([kind]);
      expect(issues[0]!.message).toMatch(message);
    });

    it('a parameter passed to a module that does not declare it', () => {
      const files = seededMain("topicName: 'policy-states-fleetguard'", "topicName: 'policy-states-fleetguard'\n      topicNmae: 'x'");
      expect(moduleParamIssues(files)).toEqual([expect.stringMatching(/policyEvents: modules\/eventTopic\.bicep has no parameter topicNmae/)]);
    });

    it('a parameters file with an unknown name or a value of the wrong type', () => {
      const parameters = { ...readParameters('infra/main.parameters.json'), sweptSubscriptionId: ['x'], maximumInstanceCount: '40' };
      expect(parametersIssues('seeded.parameters.json', parameters, main)).toEqual([
        'seeded.parameters.json: sweptSubscriptionId is not a parameter of main.bicep',
        'seeded.parameters.json: maximumInstanceCount is "40", not a int',
      ]);
    });
  });

  it('accepts an expression as an unknown value but still checks the path that leads to it', () => {
    // keyVaultReferenceIdentity: identity.id is an expression; its sibling's name is still checked.
    const issues = schemaIssues(seededMain('keyVaultReferenceIdentity: identity.id', 'keyVaultReferenceIdentity: identity.id\n    keyVaultRefIdentity: identity.id'));
    expect(issues.map((issue) => issue.message)).toEqual([expect.stringMatching(/properties\.keyVaultRefIdentity: unknown property keyVaultRefIdentity/)]);
  });
});
