/** What one Log Analytics query returned, as the detections read it (lib/azure/logAnalytics.ts produces it). */
export interface LogsQueryOutcome {
  /** Rows of the primary table as column → value. */
  rows: Record<string, unknown>[];
  /** Set when the service returned only part of the result (PartialFailure): rows are kept, but incomplete. */
  partialError: string | undefined;
}
