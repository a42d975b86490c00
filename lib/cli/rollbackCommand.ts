/**
 * `fleetguard rollouts rollback ID --cluster X` asks for AKS's node-pool rollback of clusters a
 * halted or ended rollout upgraded; `fleetguard rollouts rollback ID --approve [ROLLBACK]` approves
 * it, by a principal other than the one who asked (lib/upgrades/rollbackApi.ts).
 */
import { FleetGuardError } from '../errors.js';
import type { RollbackAnswer } from './rolloutsClient.js';
import { clientOf, type RolloutsConnectionOptions, type RolloutsContext } from './rolloutsCommand.js';

export interface RollbackOptions extends RolloutsConnectionOptions {
  /** Clusters (names or ids) to roll back; repeatable. */
  cluster?: string[];
  /** Approve the waiting rollback: `true`, or the rollback id when several wait. */
  approve?: boolean | string;
}

function shortName(resourceId: string): string {
  return resourceId.split('/').at(-1) ?? resourceId;
}

function targetsLine(answer: RollbackAnswer): string {
  return answer.targets
    .map(
      (target) =>
        `${shortName(target.resourceId)}/${target.pool} → ${target.to.orchestratorVersion}${target.to.nodeImageVersion ? ` (${target.to.nodeImageVersion})` : ''}`,
    )
    .join(', ');
}

export async function rolloutsRollbackCommand(id: string, options: RollbackOptions, context: RolloutsContext): Promise<number> {
  const clusters = options.cluster ?? [];
  const approving = options.approve !== undefined && options.approve !== false;
  if (approving === clusters.length > 0)
    throw new FleetGuardError(
      'badInput',
      'give --cluster (ask for a rollback) or --approve (approve the one waiting), not both: another person approves what one asks',
    );
  const client = await clientOf(options, context);
  const answer = approving
    ? await client.approveRollback(id, typeof options.approve === 'string' ? options.approve : undefined)
    : await client.rollback(id, clusters);
  if (options.json === true) {
    context.output.stdout(JSON.stringify(answer, null, 2));
    return 0;
  }
  if (approving) {
    context.output.stdout(
      `Rollback ${answer.rollbackId} of rollout ${answer.id} approved${answer.by === undefined ? '' : ` by ${answer.by}`} and started: ${targetsLine(answer)}; follow it: fleetguard rollouts status ${answer.id}`,
    );
  } else {
    context.output.stdout(
      `Rollback ${answer.rollbackId} of rollout ${answer.id} asked for: ${targetsLine(answer)}. Another holder of Rollouts.Manage approves it: fleetguard rollouts rollback ${answer.id} --approve ${answer.rollbackId}`,
    );
  }
  return 0;
}
