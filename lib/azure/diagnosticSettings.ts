/**
 * Diagnostic settings of a managed cluster: `GET {clusterId}/providers/Microsoft.Insights/diagnosticSettings`
 * (DiagnosticSettings_List, api-version 2021-05-01-preview, Azure/azure-rest-api-specs
 * `specification/monitor/resource-manager/Microsoft.Insights/preview/2021-05-01-preview/diagnosticsSettings_API.json`,
 * the newest version of the operation; `categoryGroup` first appears there). One page: the operation
 * is `x-ms-pageable` with `nextLinkName: null`.
 *
 * Why not `@azure/arm-monitor`: its current major (8.0.0) requires Node >= 22, and 7.0.0 is a
 * 2021-era client of every Microsoft.Insights operation for this one GET. The request goes through
 * the same ARM REST layer as the snapshot capture (`rawContainerServiceContexts`: credential,
 * retries, TLS, user agent), so it adds no package and nothing to cold start.
 */
import type { TokenCredential } from '@azure/core-auth';

import type { AzureTarget } from '../config.js';
import { FleetGuardError, reasonFromStatus, toFleetGuardError } from '../errors.js';
import type { Cluster } from '../model/cluster.js';
import type { DiagnosticLogSetting, DiagnosticSetting, DiagnosticSettingsReader } from '../model/diagnosticSettings.js';
import type { RetrySettings } from './clientOptions.js';
import { rawContainerServiceContexts } from './containerService.js';

export const DIAGNOSTIC_SETTINGS_API_VERSION = '2021-05-01-preview';

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The List path of a resource's settings, api-version included. */
export function diagnosticSettingsPath(resourceId: string): string {
  return `${resourceId.replace(/\/+$/, '')}/providers/Microsoft.Insights/diagnosticSettings?api-version=${DIAGNOSTIC_SETTINGS_API_VERSION}`;
}

/**
 * The body of DiagnosticSettings_List → our settings. Defensive as the other converters: an entry
 * without `enabled: true` is not sent (`enabled` is required by the spec; anything else counts as off).
 */
export function toDiagnosticSettings(body: unknown): DiagnosticSetting[] {
  const value = record(body)['value'];
  if (!Array.isArray(value)) throw new FleetGuardError('badInput', 'diagnostic settings: the response has no list of settings (field: value)');
  return (value as unknown[]).map((entry, index) => {
    const setting = record(entry);
    const logs = record(setting['properties'])['logs'];
    return {
      name: text(setting['name']) ?? `value[${index}]`,
      logs: (Array.isArray(logs) ? (logs as unknown[]) : []).map((log): DiagnosticLogSetting => {
        const item = record(log);
        return { category: text(item['category']), categoryGroup: text(item['categoryGroup']), enabled: item['enabled'] === true };
      }),
    };
  });
}

/** Reads each cluster's settings from ARM; every cluster's settings are known (an empty list is "none"). */
export class DiagnosticSettingsAdapter implements DiagnosticSettingsReader {
  private readonly rawContext: ReturnType<typeof rawContainerServiceContexts>;

  constructor(credential: TokenCredential, target: AzureTarget, retry: RetrySettings) {
    this.rawContext = rawContainerServiceContexts(credential, target, retry);
  }

  /** The body as ARM returned it, for the snapshot capture. */
  async listBody(cluster: Pick<Cluster, 'id' | 'name' | 'subscriptionId'>): Promise<Record<string, unknown>> {
    const context = `reading the diagnostic settings of cluster ${cluster.name}`;
    try {
      const response = await this.rawContext(cluster.subscriptionId).pathUnchecked(diagnosticSettingsPath(cluster.id)).get();
      const status = Number(response.status);
      if (status !== 200) {
        const code = text(record(record(response.body)['error'])['code']);
        throw new FleetGuardError(reasonFromStatus(status), `${context}: HTTP ${status}${code === undefined ? '' : ` ${code}`}`, { status });
      }
      return record(response.body);
    } catch (error) {
      throw toFleetGuardError(error, context);
    }
  }

  async listDiagnosticSettings(cluster: Cluster): Promise<DiagnosticSetting[]> {
    return toDiagnosticSettings(await this.listBody(cluster));
  }
}
