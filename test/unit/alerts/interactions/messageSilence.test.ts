import { describe, expect, it } from 'vitest';

import type { PostedSlackMessage } from '../../../../lib/alerts/interactionContract.js';
import { buttonSilenceId, groupMatchers } from '../../../../lib/alerts/interactions/messageSilence.js';
import { slackSignature, verifySlackSignature } from '../../../../lib/alerts/interactions/slackSignature.js';
import { silenceMatches } from '../../../../lib/alerts/routing.js';
import { Secret } from '../../../../lib/secret.js';
import { firing } from '../../../harness/alerts.js';

const finding = firing().finding;
const message = (groupBy: string[]): PostedSlackMessage => ({
  receiver: 'r',
  messageKey: 'k',
  route: 'platform',
  groupKey: 'g',
  groupBy,
  channel: 'C0',
  ts: '1.2',
  postedAt: '2026-11-30T10:00:00Z',
  alerts: [{ ...finding, status: 'firing' }],
});
const silence = (matchers: object) => ({ id: 'x', matchers, startsAt: '', endsAt: '', createdBy: 'a', comment: 'c' });

describe('the silence of a message’s group', () => {
  it('matches each groupBy field, and only that group', () => {
    expect(groupMatchers(message(['cluster', 'ruleId']))).toEqual({ matchers: { cluster: finding.resourceId, ruleId: finding.ruleId } });
    const bySubscription = groupMatchers(message(['subscription', 'severity']));
    expect(bySubscription).toEqual({ matchers: { subscription: finding.subscriptionId, severity: 'high' } });
    const matchers = 'matchers' in bySubscription ? bySubscription.matchers : {};
    expect(silenceMatches(silence(matchers), finding)).toBe(true);
    // The subscription and severity matchers hold: another subscription or severity is not silenced.
    expect(silenceMatches(silence(matchers), { ...finding, subscriptionId: '22222222-2222-2222-2222-222222222222' })).toBe(false);
    expect(silenceMatches(silence(matchers), { ...finding, severity: 'critical' })).toBe(false);
  });

  it('refuses a route without groupBy (a silence of everything)', () => {
    expect(groupMatchers(message([]))).toEqual({ error: expect.stringMatching(/no groupBy/) });
  });

  it('gives each press of one button the same UUID-shaped id, other buttons and generations another', () => {
    const ref = { receiver: 'r', messageKey: 'k' };
    expect(buttonSilenceId(ref, 'a', 0)).toBe(buttonSilenceId(ref, 'a', 0));
    expect(buttonSilenceId(ref, 'a', 0)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(new Set([buttonSilenceId(ref, 'a', 0), buttonSilenceId(ref, 'b', 0), buttonSilenceId(ref, 'a', 1)]).size).toBe(3);
  });
});

describe("Slack's v0 signature", () => {
  // Slack's worked example (docs.slack.dev "Verifying requests from Slack"): this secret, timestamp and
  // body give exactly this signature.
  const secret = new Secret('8f742231b10e8888abcd99yyyzzz85a5');
  const timestamp = '1531420618';
  const body =
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
  const expected = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';

  it('is computed as Slack documents it', () => {
    expect(slackSignature(secret, timestamp, body)).toBe(expected);
  });

  it('verifies within 5 minutes of the timestamp, not beyond', () => {
    const at = (seconds: number) => new Date((Number(timestamp) + seconds) * 1000);
    const candidates = [{ signingSecret: secret }];
    expect('verified' in verifySlackSignature({ timestamp, signature: expected, rawBody: body }, candidates, at(299))).toBe(true);
    expect(verifySlackSignature({ timestamp, signature: expected, rawBody: body }, candidates, at(301))).toEqual({
      refused: expect.stringMatching(/5 minutes/),
    });
    expect(verifySlackSignature({ timestamp, signature: `${expected}0`, rawBody: body }, candidates, at(0))).toEqual({
      refused: expect.stringMatching(/not a v0 signature/),
    });
  });
});
