/**
 * What the alert benchmark talks to, in a child process: Azurite (the outbox's Azure Tables) and
 * the webhook sink (Slack, PagerDuty, Teams, webhooks). Both are remote in production; run in the
 * benchmark's own process, Azurite's in-memory LokiJS and the sink's records would be charged to
 * the app's memory (they were most of the 556 MB peak). The parent talks to it over IPC.
 */
import { type RunningAzurite, startAzuriteTables } from '../../tooling/simulator/azurite.js';
import { type PagerDutyKeyState, type RunningSink, type SinkTally, startWebhookSink } from '../../tooling/simulator/webhookSink.js';

export type ReceiversMessage = { id: number } & ({ kind: 'start' } | { kind: 'stats' } | { kind: 'close' });

export interface ReceiversEndpoints {
  connectionString: string;
  sinkUrl: string;
  caPem: string;
}

export interface ReceiversStats {
  tallies: Record<string, SinkTally>;
  /** PagerDuty dedup keys seen, and those with more than one trigger or more than one incident. */
  pagerDutyKeys: number;
  pagerDutyRetriggered: number;
  pagerDutyReopened: number;
  rssMb: number;
  peakRssMb: number;
}

let azurite: RunningAzurite | undefined;
let sink: RunningSink | undefined;

export function summarisePagerDuty(
  states: ReadonlyMap<string, PagerDutyKeyState>,
): Pick<ReceiversStats, 'pagerDutyKeys' | 'pagerDutyRetriggered' | 'pagerDutyReopened'> {
  const all = [...states.values()];
  return {
    pagerDutyKeys: all.length,
    pagerDutyRetriggered: all.filter((state) => state.triggers > 1).length,
    pagerDutyReopened: all.filter((state) => state.incidents > 1).length,
  };
}

async function handle(message: ReceiversMessage): Promise<unknown> {
  switch (message.kind) {
    case 'start': {
      azurite = await startAzuriteTables();
      sink = await startWebhookSink({ retainDeliveries: false });
      const endpoints: ReceiversEndpoints = { connectionString: azurite.connectionString, sinkUrl: sink.url, caPem: sink.caPem };
      return endpoints;
    }
    case 'stats': {
      const stats: ReceiversStats = {
        tallies: Object.fromEntries(sink?.tallies ?? []),
        ...summarisePagerDuty(sink?.pagerDuty ?? new Map()),
        rssMb: Math.round(process.memoryUsage().rss / 1024 / 1024),
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      };
      return stats;
    }
    case 'close':
      await sink?.close();
      await azurite?.close();
      setImmediate(() => process.exit(0));
      return null;
  }
}

process.on('message', (message: ReceiversMessage) => {
  handle(message).then(
    (result) => process.send?.({ id: message.id, result }),
    (error: unknown) => process.send?.({ id: message.id, error: error instanceof Error ? error.message : String(error) }),
  );
});
