import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { apiAudience, apiBaseUrl, CLI_SETTINGS, parseCliApiSettings, parseConfig, requireStorage, SETTINGS } from '../../lib/config.js';
import { FleetGuardError } from '../../lib/errors.js';

function configError(env: Record<string, string>): FleetGuardError {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(FleetGuardError);
    expect((error as FleetGuardError).reason).toBe('config');
    return error as FleetGuardError;
  }
  throw new Error('expected the settings to be rejected');
}

describe('configuration', () => {
  it('defaults: real Azure, discover subscriptions, every 15 minutes, no store', () => {
    const config = parseConfig({});
    expect(config.azure).toEqual({ kind: 'azure', armEndpoint: 'https://management.azure.com', managedIdentityClientId: undefined });
    expect(config.subscriptions).toEqual([]);
    expect(config.sweep).toEqual({
      schedule: '0 */15 * * * *',
      concurrency: 8,
      inventorySource: 'auto',
      shardClusters: 2000,
      fanOut: { fromSubscriptions: 200, shardSubscriptions: 25, maxShardsInFlight: 4 },
    });
    expect(config.storage).toBeUndefined();
    expect(config.tables).toEqual({
      findings: 'fleetguardFindings',
      sweeps: 'fleetguardSweeps',
      events: 'fleetguardEvents',
      alerts: 'fleetguardAlerts',
      rollouts: 'fleetguardRollouts',
    });
    expect(config.alerts).toBeUndefined();
    expect(() => requireStorage(config)).toThrow(/AzureWebJobsStorage__accountName: required/);
  });

  it('parses subscriptions, schedule, concurrency and identity-based storage', () => {
    const config = parseConfig({
      FLEETGUARD_SUBSCRIPTIONS: ' 11111111-1111-1111-1111-111111111111, 22222222-2222-2222-2222-22222222222A ',
      FLEETGUARD_SWEEP_SCHEDULE: '0 0 * * * *',
      FLEETGUARD_SWEEP_CONCURRENCY: '16',
      FLEETGUARD_SWEEP_FANOUT_FROM_SUBSCRIPTIONS: '0',
      FLEETGUARD_SWEEP_SHARD_SUBSCRIPTIONS: '10',
      FLEETGUARD_SWEEP_MAX_SHARDS: '8',
      AZURE_CLIENT_ID: 'client-id',
      AzureWebJobsStorage__accountName: 'fleetguardsa',
    });
    expect(config.subscriptions).toEqual(['11111111-1111-1111-1111-111111111111', '22222222-2222-2222-2222-22222222222a']);
    expect(config.sweep).toEqual({
      schedule: '0 0 * * * *',
      concurrency: 16,
      inventorySource: 'auto',
      shardClusters: 2000,
      fanOut: { fromSubscriptions: 0, shardSubscriptions: 10, maxShardsInFlight: 8 },
    });
    expect(config.azure).toMatchObject({ managedIdentityClientId: 'client-id' });
    expect(config.storage).toEqual({
      kind: 'tableServiceUrl',
      url: 'https://fleetguardsa.table.core.windows.net',
      setting: 'AzureWebJobsStorage__accountName',
    });
  });

  it('reports every malformed setting at once, each by name', () => {
    const error = configError({
      FLEETGUARD_SUBSCRIPTIONS: 'not-a-guid',
      FLEETGUARD_SWEEP_SCHEDULE: '*/5 * * * *',
      FLEETGUARD_SWEEP_CONCURRENCY: '0',
      FLEETGUARD_ARM_ENDPOINT: 'http://management.azure.com',
      FLEETGUARD_FINDINGS_TABLE: 'no-dashes',
    });
    expect(error.message).toMatch(/FLEETGUARD_SUBSCRIPTIONS \(entry 1\): each entry must be a subscription id/);
    expect(error.message).toMatch(/FLEETGUARD_SWEEP_SCHEDULE: must be an NCRONTAB expression with six fields/);
    expect(error.message).toMatch(/FLEETGUARD_SWEEP_CONCURRENCY: must be at least 1/);
    expect(error.message).toMatch(/FLEETGUARD_ARM_ENDPOINT: must be an https:\/\/ URL/);
    expect(error.message).toMatch(/FLEETGUARD_FINDINGS_TABLE: must be a table name/);
  });

  it('rejects a six-field schedule that is not a valid cron', () => {
    expect(configError({ FLEETGUARD_SWEEP_SCHEDULE: '0 */15 * * * funday' }).message).toContain('FLEETGUARD_SWEEP_SCHEDULE');
  });

  it('rejects a non-numeric concurrency', () => {
    expect(configError({ FLEETGUARD_SWEEP_CONCURRENCY: 'eight' }).message).toMatch(/FLEETGUARD_SWEEP_CONCURRENCY: must be a whole number/);
  });

  it('the simulator target needs a readable PEM CA file', () => {
    expect(configError({ FLEETGUARD_TARGET: 'simulator' }).message).toMatch(/FLEETGUARD_ARM_CA_FILE: required when FLEETGUARD_TARGET is simulator/);
    expect(configError({ FLEETGUARD_TARGET: 'simulator', FLEETGUARD_ARM_CA_FILE: '/nonexistent.pem' }).message).toMatch(
      /FLEETGUARD_ARM_CA_FILE: cannot read \/nonexistent\.pem/,
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'ca-'));
    writeFileSync(path.join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const config = parseConfig({
      FLEETGUARD_TARGET: 'simulator',
      FLEETGUARD_ARM_ENDPOINT: 'https://127.0.0.1:8443/',
      FLEETGUARD_ARM_CA_FILE: path.join(dir, 'ca.pem'),
    });
    expect(config.azure).toMatchObject({ kind: 'simulator', armEndpoint: 'https://127.0.0.1:8443' });
  });

  it('never echoes a malformed storage connection string (it may hold a key)', () => {
    const error = configError({ AzureWebJobsStorage: 'SharedAccessSignature=sv=2020&sig=SECRETSIG' });
    expect(error.message).toContain('AzureWebJobsStorage');
    expect(error.message).not.toContain('SECRETSIG');
  });

  it('accepts an Azurite connection string', () => {
    const config = parseConfig({
      AzureWebJobsStorage: 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a;TableEndpoint=http://127.0.0.1:1/devstoreaccount1;',
    });
    expect(config.storage?.kind).toBe('connectionString');
  });

  it('documents every setting the schema reads', () => {
    const names = SETTINGS.map((setting) => setting.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of ['FLEETGUARD_SUBSCRIPTIONS', 'FLEETGUARD_SWEEP_SCHEDULE', 'AzureWebJobsStorage__accountName', 'DURABLE_TASK_HUB_NAME'])
      expect(names).toContain(name);
  });
});

describe('detection settings', () => {
  it('defaults: one hour, catalog thresholds, the public Logs endpoint', () => {
    expect(parseConfig({}).logs).toEqual({
      endpoint: 'https://api.loganalytics.io/v1',
      workspaces: [],
      lookbackMinutes: 60,
      queryTimeoutSeconds: 120,
      thresholds: {},
    });
  });

  it('parses workspaces, look-back and threshold overrides', () => {
    const workspace = '/subscriptions/1/resourceGroups/ops/providers/Microsoft.OperationalInsights/workspaces/audit';
    const config = parseConfig({
      FLEETGUARD_LOG_WORKSPACES: workspace,
      FLEETGUARD_DETECTION_LOOKBACK_MINUTES: '30',
      FLEETGUARD_DETECTION_THRESHOLDS: '{"failed-api-auth": 25}',
    });
    expect(config.logs).toMatchObject({ workspaces: [workspace], lookbackMinutes: 30, thresholds: { 'failed-api-auth': 25 } });
  });

  it('a log query timeout outside 1-600 s is named', () => {
    expect(parseConfig({ FLEETGUARD_LOG_QUERY_TIMEOUT_SECONDS: '5' }).logs.queryTimeoutSeconds).toBe(5);
    expect(() => parseConfig({ FLEETGUARD_LOG_QUERY_TIMEOUT_SECONDS: '0' })).toThrow(/FLEETGUARD_LOG_QUERY_TIMEOUT_SECONDS/);
    expect(() => parseConfig({ FLEETGUARD_INVENTORY_SOURCE: 'graph' })).toThrow(/FLEETGUARD_INVENTORY_SOURCE/);
  });

  it('names each malformed detection setting', () => {
    const error = configError({
      FLEETGUARD_LOG_WORKSPACES: '/subscriptions/1/resourceGroups/ops/providers/Microsoft.Storage/storageAccounts/x',
      FLEETGUARD_DETECTION_LOOKBACK_MINUTES: '2',
      FLEETGUARD_DETECTION_THRESHOLDS: '{"brute-force": 3}',
    });
    expect(error.message).toMatch(/FLEETGUARD_LOG_WORKSPACES \(entry 1\): each entry must be a workspace resource id/);
    expect(error.message).toMatch(/FLEETGUARD_DETECTION_LOOKBACK_MINUTES: must be at least 5/);
    expect(error.message).toMatch(/FLEETGUARD_DETECTION_THRESHOLDS: unknown detection id "brute-force" \(known: failed-api-auth, /);
    expect(configError({ FLEETGUARD_DETECTION_THRESHOLDS: 'not json' }).message).toMatch(/FLEETGUARD_DETECTION_THRESHOLDS: must be a JSON object/);
    expect(configError({ FLEETGUARD_DETECTION_THRESHOLDS: '{"crashloop": 0}' }).message).toMatch(/thresholds must be whole numbers of at least 1/);
  });
});

describe('fleetguard rollouts settings (CLI_SETTINGS, never deployed)', () => {
  it('reads the API URL, audience and function key; none is required to parse', () => {
    expect(parseCliApiSettings({})).toEqual({ apiUrl: undefined, audience: undefined, functionKey: undefined });
    expect(
      parseCliApiSettings({
        FLEETGUARD_API_URL: 'https://fg.azurewebsites.net/',
        FLEETGUARD_API_AUDIENCE: 'api://3f2a/.default',
        FLEETGUARD_API_FUNCTION_KEY: 'k',
      }),
    ).toEqual({
      apiUrl: 'https://fg.azurewebsites.net',
      audience: 'api://3f2a',
      functionKey: 'k',
    });
  });

  it('names every bad setting at once; a bearer token never goes over plain http beyond loopback', () => {
    expect(() => parseCliApiSettings({ FLEETGUARD_API_URL: 'http://fg.example.com', FLEETGUARD_API_AUDIENCE: 'my app' })).toThrow(
      /FLEETGUARD_API_URL: must be an https:\/\/ URL \(http:\/\/ only to a loopback address\)\n {2}- FLEETGUARD_API_AUDIENCE: 'my app' is not an Entra audience/,
    );
    expect(apiBaseUrl('http://127.0.0.1:7071', '--api')).toBe('http://127.0.0.1:7071');
    expect(() => apiBaseUrl('https://user:pw@fg.example.com', '--api')).toThrow(/without query, fragment or credentials/);
    expect(apiAudience('3F2A0000-0000-4000-8000-000000000001', '--audience')).toBe('3F2A0000-0000-4000-8000-000000000001');
  });

  it('keeps CLI settings out of the deployed app settings', () => {
    const deployed = new Set(SETTINGS.map((setting) => setting.name));
    for (const setting of CLI_SETTINGS) expect(deployed.has(setting.name), setting.name).toBe(false);
  });

  it('FLEETGUARD_PRODUCTION_TAG: environment=production|prod by default, name=value|value, a malformed one named', () => {
    expect(parseConfig({}).posture).toEqual({ productionTag: { name: 'environment', values: ['production', 'prod'] } });
    expect(parseConfig({ FLEETGUARD_PRODUCTION_TAG: ' Stage = Prod | live ' }).posture).toEqual({ productionTag: { name: 'Stage', values: ['Prod', 'live'] } });
    for (const bad of ['production', '=prod', 'env=', 'env=prod|', 'a/b=prod']) {
      expect(configError({ FLEETGUARD_PRODUCTION_TAG: bad }).message, bad).toMatch(/FLEETGUARD_PRODUCTION_TAG: must be a tag name/);
    }
  });
});
