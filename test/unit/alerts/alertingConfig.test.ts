import { describe, expect, it } from 'vitest';

import { parseAlertingDocument, parseDuration } from '../../../lib/alerts/alertingConfig.js';
import { FleetGuardError } from '../../../lib/errors.js';
import { ROUTES_YAML, SECRETS } from '../../harness/alerts.js';

function rejected(text: string, env: Record<string, string> = SECRETS): string {
  try {
    parseAlertingDocument(text, 'FLEETGUARD_ALERT_ROUTES', env);
  } catch (error) {
    expect(error).toBeInstanceOf(FleetGuardError);
    expect((error as FleetGuardError).reason).toBe('config');
    return (error as Error).message;
  }
  throw new Error('expected the document to be rejected');
}

describe('alert routing configuration', () => {
  it('parses YAML with defaults and resolves secrets from the named settings', () => {
    const config = parseAlertingDocument(ROUTES_YAML, 'FLEETGUARD_ALERT_ROUTES', SECRETS);
    expect(config.routes.map((route) => [route.name, route.receiver, route.groupBy, route.repeatInterval, route.continue, route.sendResolved])).toEqual([
      ['page', 'pager', ['cluster'], 4 * 3_600_000, true, true],
      ['digest', 'slack', ['subscription'], 4 * 3_600_000, false, true],
    ]);
    const pager = config.receivers.get('pager');
    expect(pager?.type === 'pagerduty' && pager.routingKey.reveal()).toBe(SECRETS.PD_KEY);
    // Secrets never print.
    expect(JSON.stringify([...config.receivers.values()])).not.toContain(SECRETS.PD_KEY);
    expect(String(pager && 'routingKey' in pager ? pager.routingKey : '')).toBe('[redacted]');
  });

  it('accepts the same document as JSON', () => {
    const json = JSON.stringify({
      receivers: [{ name: 's', type: 'slack', webhookUrlSetting: 'SLACK_URL' }],
      routes: [{ name: 'r', receiver: 's', repeatInterval: '30m' }],
    });
    expect(parseAlertingDocument(json, 'x', SECRETS).routes[0]?.repeatInterval).toBe(30 * 60_000);
  });

  it('names the path of a malformed entry', () => {
    expect(rejected('receivers: [{ name: s, type: email, to: x }]\nroutes: [{ name: r, receiver: s }]')).toMatch(/FLEETGUARD_ALERT_ROUTES: receivers\.0\.type/);
    expect(rejected(`${ROUTES_YAML}\n  - { name: late, receiver: slack, repeatInterval: soon }`)).toMatch(/routes\.2\.repeatInterval: must be a duration/);
    expect(rejected(`${ROUTES_YAML}\n  - { name: x, receiver: slack, match: { minSeverity: urgent } }`)).toMatch(/routes\.2\.match\.minSeverity/);
    expect(rejected('receivers: [\n')).toMatch(/is neither JSON nor YAML/);
  });

  it('rejects unknown receivers, duplicates and missing secret settings, naming them', () => {
    expect(rejected(`${ROUTES_YAML}\n  - { name: x, receiver: nobody }`)).toMatch(/route x: unknown receiver nobody/);
    expect(rejected(ROUTES_YAML, { ...SECRETS, PD_KEY: '' })).toMatch(/receiver pager: app setting PD_KEY is not set/);
    expect(rejected(`${ROUTES_YAML}\n  - { name: page, receiver: slack }`)).toMatch(/route page is defined twice/);
  });

  it.each([
    ['SLACK_URL', 'http://hooks.slack.com/services/x', 'must use https'],
    ['SLACK_URL', 'https://hooks.slack.com.evil.example/services/x', 'host is not one of hooks.slack.com'],
    ['TEAMS_URL', 'https://example.com/workflows/x', 'host is not one of *.logic.azure.com'],
    ['HOOK_URL', 'https://169.254.169.254/metadata', 'host is the instance metadata service (IMDS)'],
    ['HOOK_URL', 'https://evil.example.org/metadata', 'host is not in webhookAllowedHosts'],
    ['HOOK_URL', 'https://user:pass@hooks.example.com/x', 'must not carry credentials'],
  ])('validates destinations: %s = %s', (setting, url, problem) => {
    const message = rejected(ROUTES_YAML, { ...SECRETS, [setting]: url });
    expect(message).toContain(`the URL in app setting ${setting} ${problem}`);
    // The URL is a secret: never in the error.
    expect(message).not.toContain(url);
  });

  it('parses durations', () => {
    expect([parseDuration('45s'), parseDuration('30m'), parseDuration('4h'), parseDuration('2d')]).toEqual([45_000, 1_800_000, 14_400_000, 172_800_000]);
    expect(() => parseDuration('4 hours')).toThrow(/not a duration/);
  });
});
