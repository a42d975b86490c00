/**
 * The AKS runCommand fallback of the in-cluster reader (issue 16): for API servers the app cannot
 * reach (private clusters), the reads run inside the cluster instead, through ARM.
 *
 * REST (azure-rest-api-specs, Microsoft.ContainerService/aks/stable/2025-10-01, examples
 * RunCommandRequest.json, RunCommandResultFailed.json; the SDK, @azure/arm-containerservice 25.3.0,
 * sends api-version 2026-04-01): `POST .../managedClusters/{name}/runCommand` with `{command,
 * context, clusterToken}` answers 202 with a `Location` of `.../commandResults/{commandId}`; a GET
 * there is 202 while the command runs and 200 with `properties.provisioningState`, `exitCode`,
 * `logs` and `reason` when it is done. `beginRunCommandAndWait` polls that Location.
 *
 * - An Entra-integrated cluster needs `clusterToken`, a token for the AKS server application, and
 *   the command then runs as that identity (azure-cli `aks_runcommand`; without it AKS answers 400
 *   `MissingAADClusterToken`: Azure/azure-sdk-for-python#28414). So the in-cluster reader role
 *   (infra/kubernetes/, infra/modules/inClusterReader.bicep) still bounds what is read.
 * - Each command schedules a pod (200m CPU / 500Mi requested) that must start within 60 s, output
 *   is capped at 512 kB, and `apiServerAccessProfile.disableRunCommand` turns the feature off (Learn,
 *   access-private-cluster). Learn also warns it is "not designed for programmatic access": it is
 *   opt-in (FLEETGUARD_IN_CLUSTER_RUN_COMMAND), and its cost is in README "In-cluster posture".
 * - Authorized by `Microsoft.ContainerService/managedClusters/runCommand/action` and
 *   `.../commandResults/read` (Learn, same page; lib/infra/requiredActions.ts).
 *
 * One command per cluster lists every resource (lib/azure/runCommandScript.ts); resources whose
 * output was cut off by the 512 kB cap are listed again one command each, and a resource still over
 * the cap alone is reported unread, never as empty. Everything runs within the caller's abort
 * signal (the cluster's time budget).
 */
import type { ContainerServiceClient } from '@azure/arm-containerservice';
import type { TokenCredential } from '@azure/core-auth';

import type { AzureTarget } from '../config.js';
import type { Cluster } from '../model/cluster.js';
import type { InClusterRead, KubernetesListBody, KubernetesResource } from '../model/inCluster.js';
import { KUBERNETES_RESOURCES } from '../model/inCluster.js';
import type { RetrySettings } from './clientOptions.js';
import { containerServiceClients } from './containerService.js';
import { parseRunCommandOutput, RUN_COMMAND_OUTPUT_LIMIT_BYTES, runCommandScript } from './runCommandScript.js';

/** What a finished command reports (RunCommandResult.properties). */
export interface RunCommandOutcome {
  provisioningState: string | undefined;
  exitCode: number | undefined;
  logs: string | undefined;
  reason: string | undefined;
}

/** Runs one command on a cluster through ARM and waits for its result. */
export interface RunCommandCaller {
  run(cluster: Cluster, command: string, clusterToken: string, signal: AbortSignal): Promise<RunCommandOutcome>;
}

/** The SDK side: one ContainerServiceClient per subscription, made on first use. */
export class RunCommandClient implements RunCommandCaller {
  private readonly client: (subscriptionId: string) => ContainerServiceClient;

  constructor(
    credential: TokenCredential,
    target: AzureTarget,
    retry: RetrySettings,
    /** Between two GETs of the command's result; a `Retry-After` from ARM takes precedence. az aks command invoke polls every 5 s. */
    private readonly pollIntervalMs = 5000,
  ) {
    this.client = containerServiceClients(credential, target, retry);
  }

  async run(cluster: Cluster, command: string, clusterToken: string, signal: AbortSignal): Promise<RunCommandOutcome> {
    // `context` is the base64 zip of attached files; none here (az sends "" too).
    const result = await this.client(cluster.subscriptionId).managedClusters.beginRunCommandAndWait(
      cluster.resourceGroup,
      cluster.name,
      { command, context: '', clusterToken },
      { abortSignal: signal, updateIntervalInMs: this.pollIntervalMs },
    );
    return { provisioningState: result.provisioningState, exitCode: result.exitCode, logs: result.logs, reason: result.reason };
  }
}

/** Why the fallback is not tried on a cluster, or undefined when it may be. */
export function runCommandRefusal(cluster: Cluster): string | undefined {
  return cluster.runCommandDisabled === true
    ? `runCommand is disabled on ${cluster.name} (apiServerAccessProfile.disableRunCommand), so the fallback was not tried`
    : undefined;
}

/** The last characters of a command's output, for a reason. */
function tail(text: string | undefined): string {
  const trimmed = (text ?? '').trim();
  return trimmed.length > 300 ? `...${trimmed.slice(-300)}` : trimmed;
}

/** kubectl refused by the API server: the token (401), or no role for a resource (403). */
const UNAUTHENTICATED_LINE = /must be logged in to the server|\(Unauthorized\)/;
const FORBIDDEN_LINE = /\(Forbidden\)|is forbidden/;

/** Reads a cluster's objects through runCommand. */
export class RunCommandReader {
  constructor(private readonly caller: RunCommandCaller) {}

  /**
   * The read, or a coverage gap. `clusterToken` is the app's token for the AKS Entra server
   * application; an abort (the budget) or an unexpected error is thrown to the caller.
   */
  async read(cluster: Cluster, clusterToken: string, signal: AbortSignal): Promise<InClusterRead> {
    const refusal = runCommandRefusal(cluster);
    if (refusal !== undefined) return { state: 'unreachable', reason: refusal };

    const lists: Partial<Record<KubernetesResource, KubernetesListBody>> = {};
    const unread: Partial<Record<KubernetesResource, string>> = {};
    const source = (resources: readonly KubernetesResource[]) => `runCommand on ${cluster.name}: ${runCommandScript(resources).slice(0, 80)}...`;
    // One command for all; what the 512 kB cap cut off again, one resource per command.
    let rounds: KubernetesResource[][] = [[...KUBERNETES_RESOURCES]];
    while (rounds.length > 0) {
      const next: KubernetesResource[][] = [];
      for (const resources of rounds) {
        const outcome = await this.runOnce(cluster, resources, clusterToken, signal);
        if ('gap' in outcome) return outcome.gap;
        const parsed = parseRunCommandOutput(outcome.logs, resources);
        const unauthenticated = parsed.other.find((line) => UNAUTHENTICATED_LINE.test(line));
        if (unauthenticated !== undefined) {
          return { state: 'unauthorized', reason: `through runCommand, the API server of ${cluster.name} refused the app's token (${unauthenticated})` };
        }
        for (const resource of resources) {
          const body = parsed.lists[resource];
          if (body !== undefined) lists[resource] = { body, source: source([resource]) };
          else if (parsed.errors[resource] !== undefined) unread[resource] = parsed.errors[resource];
        }
        // A resource with neither its line nor an error was cut off by the output cap (the command exited 0).
        if (parsed.cutOff.length > 0 && resources.length > 1) {
          next.push(...parsed.cutOff.map((resource) => [resource]));
          continue;
        }
        for (const resource of parsed.cutOff) {
          unread[resource] =
            `its output was cut off even alone: its reduced list is larger than runCommand's ${RUN_COMMAND_OUTPUT_LIMIT_BYTES / 1024} kB output limit` +
            (parsed.other.length > 0 ? ` (${tail(parsed.other.join(' '))})` : '');
        }
      }
      rounds = next;
    }
    const refused = Object.values(unread).filter((why) => FORBIDDEN_LINE.test(why));
    if (Object.keys(lists).length === 0 && refused.length === KUBERNETES_RESOURCES.length) {
      return { state: 'unauthorized', reason: `through runCommand, the app's identity has no role on ${cluster.name} (${refused[0] ?? ''})` };
    }
    return { state: 'checked', via: 'runCommand', lists, ...(Object.keys(unread).length > 0 ? { unread } : {}) };
  }

  /** One command: its output, or the coverage gap its failure means. */
  private async runOnce(
    cluster: Cluster,
    resources: readonly KubernetesResource[],
    clusterToken: string,
    signal: AbortSignal,
  ): Promise<{ logs: string } | { gap: InClusterRead }> {
    let outcome: RunCommandOutcome;
    try {
      outcome = await this.caller.run(cluster, runCommandScript(resources), clusterToken, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      const { statusCode, code, message } = error as { statusCode?: unknown; code?: unknown; message?: unknown };
      if (typeof statusCode !== 'number') throw error;
      const what = `runCommand on ${cluster.name} was refused: HTTP ${statusCode}${typeof code === 'string' ? ` ${code}` : ''}${typeof message === 'string' ? `: ${message}` : ''}`;
      if (statusCode === 401 || statusCode === 403) {
        return {
          gap: {
            state: 'unauthorized',
            reason: `${what} (the app needs Microsoft.ContainerService/managedClusters/runCommand/action and .../commandResults/read: grantInClusterRunCommand)`,
          },
        };
      }
      return { gap: { state: 'unreachable', reason: what } };
    }
    if ((outcome.provisioningState ?? '').toLowerCase() !== 'succeeded') {
      return {
        gap: {
          state: 'unreachable',
          reason: `runCommand on ${cluster.name} ended ${outcome.provisioningState ?? 'without a state'}${outcome.reason ? `: ${outcome.reason}` : ''}`,
        },
      };
    }
    if (outcome.exitCode !== 0) {
      return {
        gap: {
          state: 'unreachable',
          reason: `the command run through runCommand on ${cluster.name} exited with ${String(outcome.exitCode)}: ${tail(outcome.logs) || '(no output)'}`,
        },
      };
    }
    return { logs: outcome.logs ?? '' };
  }
}
