/**
 * An approved node-pool rollback as a Durable orchestration: resumable, every activity call with
 * the rollouts' retry budget. Deterministic generator: time from `context.df.currentUtcDateTime`,
 * everything else from activities. Pools go one at a time: AKS refuses a second operation on a
 * cluster while one runs (409 OperationNotAllowed), and a rollback is rare and small.
 */
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';

import { ACTIVITY_RETRY } from './orchestrators.js';
import type { RollbackTarget } from './rollback.js';
import type { PoolRollbackResult } from './rollbackStore.js';

export const ROLLBACK_ORCHESTRATION = 'rolloutRollbackOrchestrator';
export const ROLLBACK_ACTIVITIES = { step: 'rolloutRollbackStep', record: 'rolloutRollbackRecord' } as const;

export interface RollbackInput {
  rolloutId: string;
  rollbackId: string;
  targets: RollbackTarget[];
  pollMinutes: number;
  timeoutMinutes: number;
}

/** What one observe-then-act step found or did (rollbackActivities.ts). */
export type RollbackStep = { state: 'done' } | { state: 'rollingBack'; detail: string } | { state: 'failed'; reason: string };

export interface RollbackOutcome {
  state: 'Completed' | 'Failed';
  results: PoolRollbackResult[];
  /** Set when the outcome could not be recorded in the store. */
  recordProblem?: string;
}

/** The durable instance id of a rollback: one per request, so a repeated start is refused by Durable. */
export function rollbackInstanceId(rolloutId: string, rollbackId: string): string {
  return `${rolloutId}:rollback-${rollbackId}`;
}

function failureText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]?.trim() ?? message;
}

function* rollBackPool(context: OrchestrationContext, input: RollbackInput, target: RollbackTarget): Generator<Task, PoolRollbackResult, unknown> {
  const result = (status: PoolRollbackResult['status'], reason: string | null): PoolRollbackResult => ({
    resourceId: target.resourceId,
    pool: target.pool,
    status,
    reason,
  });
  const deadline = context.df.currentUtcDateTime.getTime() + input.timeoutMinutes * 60_000;
  for (;;) {
    let step: RollbackStep;
    try {
      step = (yield context.df.callActivityWithRetry(ROLLBACK_ACTIVITIES.step, ACTIVITY_RETRY, { target })) as RollbackStep;
    } catch (error) {
      return result('Failed', `gave up after ${ACTIVITY_RETRY.maxNumberOfAttempts} attempts: ${failureText(error)}`);
    }
    if (step.state === 'done') return result('RolledBack', null);
    if (step.state === 'failed') return result('Failed', step.reason);
    if (context.df.currentUtcDateTime.getTime() >= deadline)
      return result('Failed', `the rollback did not finish within ${input.timeoutMinutes} minutes (last seen: ${step.detail})`);
    context.df.setCustomStatus({ rollbackId: input.rollbackId, pool: `${target.resourceId.split('/').at(-1) ?? ''}/${target.pool}`, phase: step.detail });
    yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + input.pollMinutes * 60_000));
  }
}

export const rollbackOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<RollbackInput>();
  const results: PoolRollbackResult[] = [];
  for (const target of input.targets) results.push(yield* rollBackPool(context, input, target));
  const state: RollbackOutcome['state'] = results.every((entry) => entry.status === 'RolledBack') ? 'Completed' : 'Failed';
  let recordProblem: string | undefined;
  try {
    const recorded: unknown = yield context.df.callActivityWithRetry(ROLLBACK_ACTIVITIES.record, ACTIVITY_RETRY, {
      rolloutId: input.rolloutId,
      rollbackId: input.rollbackId,
      state,
      results,
    });
    if (typeof recorded === 'object' && recorded !== null && 'problem' in recorded) recordProblem = String(recorded.problem);
  } catch (error) {
    recordProblem = `gave up after ${ACTIVITY_RETRY.maxNumberOfAttempts} attempts: ${failureText(error)}`;
  }
  return { state, results, ...(recordProblem === undefined ? {} : { recordProblem }) } satisfies RollbackOutcome;
};
