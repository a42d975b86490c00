/**
 * `GET /api/report`: the fleet report for people with read access to findings (`Alerts.Read`, or
 * `Alerts.Manage` which implies it). The page is self-contained; the headers keep a browser from
 * loading anything else, sniffing it as something else, or caching fleet data.
 */
import { ALERT_ROLES } from '../alerts/silencesApi.js';
import { authorizeRole } from '../auth/principal.js';
import { renderFleetReport } from './fleetReport.js';
import { gatherReportData, type ReportSources } from './reportData.js';

export const REPORT_CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'";

export interface ReportResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export async function serveReportRequest(principalHeader: string | null, sources: ReportSources, now: Date): Promise<ReportResponse> {
  const authorization = authorizeRole(principalHeader, ALERT_ROLES.read, ALERT_ROLES.manage);
  if (!('principal' in authorization))
    return { status: authorization.status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(authorization.body) };
  const model = await gatherReportData(sources, now);
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
