/** Snapshot mode's reader of diagnostic settings (AKS-AUDIT-LOGS): see {@link snapshotModeDiagnosticsReader}. */
import { createCredential } from '../../lib/azure/credential.js';
import { resourceKey } from '../../lib/model/cluster.js';
import type { DiagnosticSettingsReader } from '../../lib/model/diagnosticSettings.js';
import type { LocalAzure } from './localAzure.js';
import type { FleetSnapshot } from './snapshot.js';

/**
 * Snapshot mode reads diagnostic settings as live mode does (the app's adapter over HTTPS to the
 * simulator), but only of the clusters `diagnosticSettings.json` names: for the others the snapshot
 * does not know them, and AKS-AUDIT-LOGS is not evaluated (a coverage gap, never a finding).
 */
export function snapshotModeDiagnosticsReader(local: LocalAzure, snapshot: Pick<FleetSnapshot, 'diagnosticSettings'>): DiagnosticSettingsReader {
  const known = snapshot.diagnosticSettings ?? new Map<string, never>();
  let live: Promise<DiagnosticSettingsReader> | undefined;
  return {
    listDiagnosticSettings: async (cluster) => {
      if (!known.has(resourceKey(cluster.id))) return undefined;
      live ??= import('../../lib/azure/diagnosticSettings.js').then(
        ({ DiagnosticSettingsAdapter }) =>
          new DiagnosticSettingsAdapter(createCredential(local.config.azure), local.config.azure, { maxRetries: local.config.http.maxRetries }),
      );
      return (await live).listDiagnosticSettings(cluster);
    },
  };
}
