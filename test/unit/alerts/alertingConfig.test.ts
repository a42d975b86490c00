import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { parseAlertingDocument, parseDuration } from '../../../lib/alerts/alertingConfig.js';
import { FleetGuardError } from '../../../lib/errors.js';
import { RECEIVERS_YAML, ROUTES_YAML, SECRETS } from '../../harness/alerts.js';

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

  it('parses named time intervals and the routes that mute or activate by them', () => {
    const config = parseAlertingDocument(
      `${RECEIVERS_YAML}
timeIntervals:
  - name: business-hours
    timeIntervals:
      - { times: [{ startTime: '09:00', endTime: '17:00' }], weekdays: ['monday:friday'], location: Europe/Berlin }
  - name: weekends
    timeIntervals: [{ weekdays: [saturday, sunday], daysOfMonth: ['1:7', '-1'], months: ['january:march', 12], years: ['2026:2027'] }]
routes:
  - { name: page, receiver: pager, activeTimeIntervals: [business-hours], muteTimeIntervals: [weekends] }
  - { name: daily, receiver: slack, digest: { at: ['09:00'], weekdays: ['monday:friday'], location: Europe/Berlin } }`,
      'x',
      SECRETS,
    );
    expect(config.timeIntervals.get('business-hours')).toEqual([
      { times: [{ startMinute: 540, endMinute: 1020 }], weekdays: [{ begin: 1, end: 5 }], location: 'Europe/Berlin' },
    ]);
    expect(config.timeIntervals.get('weekends')).toEqual([
      {
        weekdays: [
          { begin: 6, end: 6 },
          { begin: 0, end: 0 },
        ],
        daysOfMonth: [
          { begin: 1, end: 7 },
          { begin: -1, end: -1 },
        ],
        months: [
          { begin: 1, end: 3 },
          { begin: 12, end: 12 },
        ],
        years: [{ begin: 2026, end: 2027 }],
        location: 'UTC',
      },
    ]);
    expect(config.routes.map((route) => [route.muteTimeIntervals, route.activeTimeIntervals, route.digest?.at])).toEqual([
      [['weekends'], ['business-hours'], undefined],
      [[], [], ['09:00']],
    ]);
  });

  it.each([
    ["times: [{ startTime: '25:00', endTime: '26:00' }]", /timeIntervals\.0\.timeIntervals\.0\.times\.0\.startTime: '25:00' is not a time HH:MM/],
    ["times: [{ startTime: '9:00', endTime: '17:00' }]", /times\.0\.startTime: '9:00' is not a time/],
    ["times: [{ startTime: '17:00', endTime: '09:00' }]", /times\.0\.endTime: endTime 09:00 is not after startTime 17:00/],
    ["times: [{ startTime: '09:00', endTime: '09:00' }]", /times\.0\.endTime: endTime 09:00 is not after startTime 09:00/],
    ["times: [{ startTime: '09:00' }]", /times\.0\.endTime/],
    ['location: Mars/Olympus_Mons', /timeIntervals\.0\.timeIntervals\.0\.location: is not an IANA time zone/],
    ["location: '+01:00'", /location: is not an IANA time zone/],
    ["weekdays: ['friday:monday']", /weekdays\.0: 'friday:monday': the end is before the start/],
    ["weekdays: ['saturday:sunday']", /weekdays\.0: 'saturday:sunday': the end is before the start/],
    ['weekdays: [funday]', /weekdays\.0: 'funday' is not a valid weekday/],
    ["weekdays: ['monday:tuesday:friday']", /weekdays\.0: 'monday:tuesday:friday' is not a weekday or a range/],
    ["daysOfMonth: ['0']", /daysOfMonth\.0: day 0 does not exist/],
    ["daysOfMonth: ['32']", /daysOfMonth\.0: '32' is not a valid day of the month/],
    ["daysOfMonth: ['-1:5']", /daysOfMonth\.0: the end day must be negative/],
    ["daysOfMonth: ['10:-25']", /daysOfMonth\.0: end day -25 is always before start day 10/],
    ["months: ['march:january']", /months\.0: 'march:january': the end is before the start/],
    ['months: [13]', /months\.0: '13' is not a valid month/],
    ["years: ['2027:2026']", /years\.0: '2027:2026': the end is before the start/],
    ['hours: [1]', /timeIntervals\.0\.timeIntervals\.0: Unrecognized key/],
  ])('rejects a bad time interval field: %s', (field, problem) => {
    expect(rejected(`${ROUTES_YAML}timeIntervals: [{ name: t, timeIntervals: [{ ${field} }] }]\n`)).toMatch(problem);
  });

  it("README's time interval example parses", () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Time intervals and digests'));
    const example = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const receivers =
      'receivers:\n  - { name: oncall, type: pagerduty, routingKeySetting: PD_KEY }\n  - { name: leads, type: teams, webhookUrlSetting: TEAMS_URL }\n  - { name: platform, type: slack, webhookUrlSetting: SLACK_URL }\n';
    const config = parseAlertingDocument(receivers + example, 'README', SECRETS);
    expect([...config.timeIntervals.keys()]).toEqual(['business-hours', 'weekends']);
    expect(config.routes.map((route) => route.digest?.location ?? route.muteTimeIntervals.concat(route.activeTimeIntervals).join())).toEqual([
      '',
      'business-hours',
      'weekends',
      'Europe/Berlin',
    ]);
  });

  it('rejects unknown or duplicate interval names and bad digest schedules, naming the path', () => {
    const intervals = "timeIntervals: [{ name: nights, timeIntervals: [{ times: [{ startTime: '00:00', endTime: '06:00' }] }] }]\n";
    expect(rejected(`${ROUTES_YAML}  - { name: x, receiver: slack, muteTimeIntervals: [nights, holidays] }\n${intervals}`)).toMatch(
      /routes\.2\.muteTimeIntervals\.1: unknown time interval holidays \(route x\)/,
    );
    expect(rejected(`${ROUTES_YAML}  - { name: x, receiver: slack, activeTimeIntervals: [office] }\n`)).toMatch(
      /routes\.2\.activeTimeIntervals\.0: unknown time interval office/,
    );
    expect(rejected(`${ROUTES_YAML}timeIntervals: [{ name: a, timeIntervals: [] }, { name: a, timeIntervals: [] }]\n`)).toMatch(
      /time interval a is defined twice/,
    );
    expect(rejected(`${ROUTES_YAML}  - { name: x, receiver: slack, digest: { at: ['24:00'] } }\n`)).toMatch(/routes\.2\.digest\.at\.0: must be a time HH:MM/);
    expect(rejected(`${ROUTES_YAML}  - { name: x, receiver: slack, digest: { at: [] } }\n`)).toMatch(/routes\.2\.digest\.at/);
    expect(rejected(`${ROUTES_YAML}  - { name: x, receiver: slack, digest: { at: ['09:00'], location: Europe/Berlinn } }\n`)).toMatch(
      /routes\.2\.digest\.location: is not an IANA time zone/,
    );
  });

  it('parses durations', () => {
    expect([parseDuration('45s'), parseDuration('30m'), parseDuration('4h'), parseDuration('2d')]).toEqual([45_000, 1_800_000, 14_400_000, 172_800_000]);
    expect(() => parseDuration('4 hours')).toThrow(/not a duration/);
  });
});
