/**
 * `GET /api/report`: the fleet report for people with read access to findings (`Alerts.Read`, or
 * `Alerts.Manage` which implies it). The page is self-contained; the headers keep a browser from
 * loading anything else or running any script but the page's own (reportScript.ts), sniffing it as
 * something else, or caching fleet data.
 */
import { ALERT_ROLES } from '../alerts/silencesApi.js';
import { authorizeRole } from '../auth/principal.js';
import { renderFleetReport } from './fleetReport.js';
import { gatherReportData, type ReportSources } from './reportData.js';
import { REPORT_CONTENT_SECURITY_POLICY } from './reportScript.js';

export { REPORT_CONTENT_SECURITY_POLICY } from './reportScript.js';

export interface ReportResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** `storage` names the storage read (storageLabel.ts) on the page that says no sweep has run yet. */
export async function serveReportRequest(principalHeader: string | null, sources: ReportSources, now: Date, storage?: string): Promise<ReportResponse> {
  const authorization = authorizeRole(principalHeader, ALERT_ROLES.read, ALERT_ROLES.manage);
  if (!('principal' in authorization))
    return { status: authorization.status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(authorization.body) };
  const model = await gatherReportData(sources, now, storage === undefined ? {} : { storage });
  return {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': REPORT_CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    },
    body: renderFleetReport(model),
  };
}
