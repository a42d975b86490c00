/**
 * A resource's diagnostic settings (Microsoft.Insights, api-version 2021-05-01-preview), reduced to
 * what the audit-log rule reads: which log categories or category groups each setting sends.
 */
import type { Cluster } from './cluster.js';

/** One entry of a setting's `logs`: a `category` or a `categoryGroup` (`audit`, `allLogs`), and whether it is sent. */
export interface DiagnosticLogSetting {
  category: string | undefined;
  categoryGroup: string | undefined;
  enabled: boolean;
}

export interface DiagnosticSetting {
  name: string;
  logs: DiagnosticLogSetting[];
}

/**
 * Reads a cluster's diagnostic settings. `undefined` means they are not known (a snapshot that did
 * not capture them): the rule is then not evaluated, which is a coverage gap, never a pass.
 */
export interface DiagnosticSettingsReader {
  listDiagnosticSettings(cluster: Cluster): Promise<DiagnosticSetting[] | undefined>;
}
