/** Acknowledgements under a finding's title in the report: the name is PagerDuty's text, so escaped; only an https incident link. */
import { describe, expect, it } from 'vitest';

import type { Acknowledgement } from '../../../lib/alerts/interactionContract.js';
import { findingsTable } from '../../../lib/report/findingsTable.js';
import { storedFinding } from '../../harness/alerts.js';

const finding = storedFinding({});
const ack = (overrides: Partial<Acknowledgement>): ReadonlyMap<string, Acknowledgement> =>
  new Map([
    [
      finding.fingerprint,
      {
        fingerprint: finding.fingerprint,
        state: 'acknowledged',
        by: 'Alice Oncall',
        byId: 'PALICE1',
        source: 'pagerduty',
        at: '2026-11-30T12:00:00.000Z',
        ...overrides,
      },
    ],
  ]);

describe('acknowledgements in the findings table', () => {
  it('shows who acknowledged, when, and links the incident', () => {
    const html = findingsTable([finding], undefined, ack({ incidentUrl: 'https://acme.pagerduty.com/incidents/PGR0VU2' }));
    expect(html).toContain(
      '<span class="ack">acknowledged by Alice Oncall in PagerDuty at 2026-11-30T12:00:00.000Z</span> <a href="https://acme.pagerduty.com/incidents/PGR0VU2" rel="noreferrer">incident</a>',
    );
  });

  it('escapes the name and links nothing but https', () => {
    const html = findingsTable([finding], undefined, ack({ by: '<img src=x onerror=alert(1)>', incidentUrl: 'javascript:alert(1)' }));
    expect(html).toContain('acknowledged by &lt;img src=x onerror=alert(1)&gt; in PagerDuty');
    expect(html).not.toContain('javascript:');
  });

  it('shows nothing once unacknowledged', () => {
    expect(findingsTable([finding], undefined, ack({ state: 'unacknowledged' }))).not.toContain('class="ack"');
  });
});
