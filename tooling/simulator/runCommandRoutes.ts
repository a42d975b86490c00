/**
 * AKS runCommand on the simulator: `POST .../managedClusters/{name}/runCommand` and
 * `GET .../managedClusters/{name}/commandResults/{commandId}`, as the service answers them.
 *
 * Sources: azure-rest-api-specs Microsoft.ContainerService/aks/stable/2025-10-01, examples
 * RunCommandRequest.json (202 with a `location` of `.../commandResults/{id}?api-version=...`; "you
 * never get 200 from this api") and RunCommandResultFailed.json (`provisioningState: failed`,
 * `reason`); Learn "Access a private AKS cluster using the command invoke or Run command feature"
 * (output limited to 512kB; `apiServerAccessProfile.disableRunCommand`; the pod's 60 s to start);
 * MicrosoftDocs/azure-docs-cli#3883 ("will truncate output at 512kb of size. This is by design");
 * Azure/azure-sdk-for-python#28414 (400 `MissingAADClusterToken`, "This cluster have Azure Active
 * Directory enabled, .clusterToken is required."); azure-cli `aks_runcommand` (the token is for the
 * AKS server application, and the command runs as that identity).
 *
 * - The result is 202 (with the same `location`) for `pollsWhileRunning` GETs, then 200 with
 *   `Succeeded`, `exitCode`, `startedAt`, `finishedAt`, `logs`; or `Failed` with a `reason` (the
 *   `podNotStarted` fault: a pod that could not start within 60 s).
 * - `logs` over 512 KiB is cut to its first 512 KiB. Which end AKS keeps, and whether its kB is
 *   1000 or 1024 bytes, is not documented: the app's client depends on neither.
 * - Refusals: no `command` (the spec's only required field), an Entra cluster without
 *   `clusterToken` (400 MissingAADClusterToken), `disableRunCommand` (the status and code of that
 *   refusal are not in public docs or issues; 400 `OperationNotAllowed` here is our wording, and the
 *   app never calls such a cluster), an unknown cluster (404).
 * - The command itself runs in runCommandPod.ts (not a shell: exactly the forms the app sends).
 */
import { randomUUID } from 'node:crypto';

import { resourceKey } from '../../lib/model/cluster.js';
import type { FleetState } from './fleetState.js';
import { armError, type Route, type SimulatorResponse } from './router.js';
import { type PodResult, runInPod } from './runCommandPod.js';
import type { SnapshotKubernetes } from './snapshotKubernetes.js';

const CLUSTER =
  '^/subscriptions/(?<subscriptionId>[^/]+)/resourceGroups/(?<resourceGroup>[^/]+)/providers/Microsoft\\.ContainerService/managedClusters/(?<name>[^/]+)';

/** runCommand's output cap (Learn: "limited to 512kB"). */
export const SIMULATED_OUTPUT_LIMIT_BYTES = 512 * 1024;

/** What tests can see and change of the simulated runCommand. */
export interface RunCommandSimulation {
  /** Every command received, in order, with its cluster (lower-cased id). */
  commands: Array<{ clusterKey: string; command: string }>;
  /** GETs of a result answered 202 before it is done (the command "runs"). */
  pollsWhileRunning: number;
  /** The output cap (the service's 512 KiB by default; tests lower it to stay cheap). */
  outputLimitBytes: number;
  /** Faults by lower-cased cluster id: a pod that does not start, or an image without jq. */
  faults: Map<string, 'podNotStarted' | 'jqMissing'>;
}

interface Command {
  clusterKey: string;
  startedAt: string;
  result: Promise<PodResult | { failed: string }>;
  pollsLeft: number;
}

type Json = Record<string, unknown>;

function record(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
}

/** Cuts `logs` to the cap, keeping its beginning, on a character boundary. */
function capped(logs: string, limit: number): string {
  const bytes = Buffer.from(logs, 'utf8');
  return bytes.length <= limit
    ? logs
    : bytes
        .subarray(0, limit)
        .toString('utf8')
        .replace(/\uFFFD$/, '');
}

export function runCommandRoutes(
  fleet: FleetState,
  kubernetes: SnapshotKubernetes,
  /** What the Kubernetes API stand-in accepts: its bearer token, and the clusters that gave the identity no role. */
  apiServer: { token: string; forbidden: ReadonlySet<string> },
  options: { now?: () => Date } = {},
): { routes: Route[]; simulation: RunCommandSimulation } {
  const now = options.now ?? (() => new Date());
  const simulation: RunCommandSimulation = { commands: [], pollsWhileRunning: 1, outputLimitBytes: SIMULATED_OUTPUT_LIMIT_BYTES, faults: new Map() };
  const commands = new Map<string, Command>();

  const notFound = (name: string, resourceGroup: string): SimulatorResponse =>
    armError(
      404,
      'ResourceNotFound',
      `The Resource 'Microsoft.ContainerService/managedClusters/${name}' under resource group '${resourceGroup}' was not found.`,
    );

  return {
    simulation,
    routes: [
      {
        name: 'arm.managedClusters.runCommand',
        method: 'POST',
        pattern: new RegExp(`${CLUSTER}/runCommand$`, 'i'),
        handle: (request) => {
          const { subscriptionId = '', resourceGroup = '', name = '' } = request.params;
          const cluster = fleet.findCluster(subscriptionId, resourceGroup, name);
          if (cluster === undefined) return notFound(name, resourceGroup);
          const properties = record(cluster['properties']);
          const body = record(request.body);
          const command = body['command'];
          if (typeof command !== 'string' || command.trim() === '') {
            return armError(400, 'InvalidParameter', "The value of parameter 'command' is invalid: the command to run is required.");
          }
          if (body['context'] !== undefined && body['context'] !== null && typeof body['context'] !== 'string') {
            return armError(400, 'InvalidParameter', "The value of parameter 'context' is invalid: a base64 encoded zip file is expected.");
          }
          if (record(properties['apiServerAccessProfile'])['disableRunCommand'] === true) {
            return armError(400, 'OperationNotAllowed', `Run command is disabled on managed cluster '${name}' (apiServerAccessProfile.disableRunCommand).`);
          }
          const entra = record(properties['aadProfile'])['managed'] === true;
          const clusterToken = body['clusterToken'];
          if (entra && (typeof clusterToken !== 'string' || clusterToken === '')) {
            return armError(400, 'MissingAADClusterToken', 'This cluster have Azure Active Directory enabled, .clusterToken is required.');
          }
          const clusterKey = resourceKey(String(cluster['id']));
          simulation.commands.push({ clusterKey, command });
          const fault = simulation.faults.get(clusterKey);
          const result: Command['result'] =
            fault === 'podNotStarted'
              ? Promise.resolve({
                  failed:
                    'KubernetesPerformanceError: Failed to run command due to cluster perf issue, container command-' +
                    `${randomUUID().replace(/-/g, '')} in aks-command namespace did not start within 30s on your cluster, retry may helps.`,
                })
              : runInPod(command, {
                  folder: kubernetes.get(clusterKey),
                  // An Entra cluster's command runs as the clusterToken's identity; the stand-in accepts only the app's token.
                  authenticated: !entra || clusterToken === apiServer.token,
                  forbidden: apiServer.forbidden.has(clusterKey),
                  missingTools: new Set(fault === 'jqMissing' ? ['jq'] : []),
                });
          const id = randomUUID().replace(/-/g, '');
          commands.set(id, { clusterKey, startedAt: now().toISOString(), result, pollsLeft: simulation.pollsWhileRunning });
          const location = new URL(request.url.pathname.replace(/\/runCommand$/i, `/commandResults/${id}`), request.baseUrl);
          location.searchParams.set('api-version', request.url.searchParams.get('api-version') ?? '');
          return { status: 202, headers: { location: location.toString() } };
        },
      },
      {
        name: 'arm.managedClusters.getCommandResult',
        method: 'GET',
        pattern: new RegExp(`${CLUSTER}/commandResults/(?<commandId>[^/]+)$`, 'i'),
        handle: async (request) => {
          const { subscriptionId = '', resourceGroup = '', name = '', commandId = '' } = request.params;
          const cluster = fleet.findCluster(subscriptionId, resourceGroup, name);
          if (cluster === undefined) return notFound(name, resourceGroup);
          const command = commands.get(commandId);
          if (command === undefined || command.clusterKey !== resourceKey(String(cluster['id']))) {
            return armError(404, 'NotFound', `Command result '${commandId}' was not found.`);
          }
          if (command.pollsLeft > 0) {
            command.pollsLeft -= 1;
            return { status: 202, headers: { location: request.url.toString() } };
          }
          const result = await command.result;
          const finishedAt = now().toISOString();
          if ('failed' in result) {
            return {
              status: 200,
              body: { id: commandId, properties: { provisioningState: 'Failed', startedAt: command.startedAt, finishedAt, reason: result.failed } },
            };
          }
          return {
            status: 200,
            body: {
              id: commandId,
              properties: {
                provisioningState: 'Succeeded',
                exitCode: result.exitCode,
                startedAt: command.startedAt,
                finishedAt,
                logs: capped(result.logs, simulation.outputLimitBytes),
              },
            },
          };
        },
      },
    ],
  };
}
