/**
 * A local Durable Functions host: runs the app's registered orchestrators through the real
 * `durable-functions` replay code, on a virtual clock, as the Durable extension would. Per instance
 * it keeps the history, invokes the orchestrator with it, executes only the new actions (activities
 * through the captured registry, sub-orchestrations, timers on the virtual clock, external events),
 * appends the completion events and invokes again. It checks determinism: the actions a replay
 * produces must match those it produced before.
 *
 * `crash()` throws away everything in flight that is not yet in a history (results of activities
 * that ran but were not recorded), as a process restart would; the next run re-executes them.
 */
import type { LocalFunctionsHost } from './functionsHost.js';

/** History event types, as numbered by the Durable extension. */
const EventType = {
  ExecutionStarted: 0,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventRaised: 15,
} as const;

/** Action types the library emits. */
const ActionType = {
  CallActivity: 0,
  CallActivityWithRetry: 1,
  CallSubOrchestrator: 2,
  CreateTimer: 5,
  WaitForExternalEvent: 6,
  WhenAny: 11,
  WhenAll: 12,
} as const;

/** `df.RetryOptions` as the library serialises it in a CallActivityWithRetry action. */
interface RetryOptionsJson {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

/** The extension's defaults (WebJobs `RetryOptions`): coefficient 1, longest interval 6 days. */
const DEFAULT_MAX_RETRY_INTERVAL_MS = 6 * 24 * 60 * 60_000;

/**
 * One CallActivityWithRetry in flight, as DurableTask.Core's `RetryInterceptor` runs it: an attempt
 * (a TaskScheduled with its own task id), and after each failed attempt, the last one included, a
 * timer (its own task id) of `first × coefficient^(attempt-1)` capped at the longest interval; when
 * that timer fires, the next attempt, unless the attempts are used up, and then the task fails.
 */
interface RetryChain {
  name: string;
  inputJson: string;
  options: RetryOptionsJson;
  /** 1-based number of the current attempt. */
  attempt: number;
  phase: 'attempt' | 'timer';
}

type HistoryEvent = Record<string, unknown> & { EventType: number; EventId: number; Timestamp: string; IsPlayed: boolean };

interface Action {
  actionType: number;
  functionName?: string;
  input?: unknown;
  instanceId?: string;
  fireAt?: string;
  isCanceled?: boolean;
  externalEventName?: string;
  compoundActions?: Action[];
  retryOptions?: RetryOptionsJson;
}

export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'Failed' | 'Terminated';

interface Instance {
  id: string;
  name: string;
  input: unknown;
  history: HistoryEvent[];
  /** Completion events not yet replayed. */
  inbox: HistoryEvent[];
  /** Actions executed so far, in the order the orchestrator scheduled them, for the determinism check. */
  executed: Action[];
  /** The task id of each action scheduled so far, by task id (retries consume ids without actions). */
  actionsByTaskId: Map<number, Action>;
  /** The next task id, counted as the library counts them (TaskOrchestrationExecutor.sequenceNumber). */
  nextTaskId: number;
  /** Retried activities in flight, by the task id of their current attempt or timer. */
  retries: Map<number, RetryChain>;
  status: RuntimeStatus;
  customStatus: unknown;
  output: unknown;
  error: string | undefined;
  parent: { instanceId: string; taskId: number } | undefined;
  /** Raised events nobody waited for yet (Durable buffers them). */
  bufferedEvents: Array<{ name: string; data: unknown }>;
  waitingFor: Set<string>;
  createdAt: number;
  lastUpdatedAt: number;
}

interface PendingWork {
  kind: 'activity';
  instanceId: string;
  taskId: number;
  name: string;
  /** The input as JSON text, as the extension hands it to the worker. */
  inputJson: string;
}

/**
 * The library pre-serialises string activity inputs (`Utils.processInput`): a string is already
 * JSON text, anything else is a value to serialise.
 */
function activityInputJson(input: unknown): string {
  return typeof input === 'string' ? input : JSON.stringify(input ?? null);
}

interface Timer {
  instanceId: string;
  taskId: number;
  fireAt: number;
}

export interface OrchestrationStatus {
  instanceId: string;
  name: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  customStatus: unknown;
  output: unknown;
  error: string | undefined;
  createdTime: string;
  lastUpdatedTime: string;
  historyLength: number;
}

export class VirtualClock {
  constructor(private time: number = Date.parse('2026-11-23T08:00:00.000Z')) {}
  now = (): number => this.time;
  advanceTo(time: number): void {
    if (time > this.time) this.time = time;
  }
  /**
   * A wait inside running work (a client pacing its requests, lib/azure/requestLimiter.ts): the time
   * passes on this clock at once. Waits that start together end together (each moves the clock to
   * its own end, not by its length again), as they would in real time.
   */
  sleep = (ms: number): Promise<void> => {
    const until = this.time + Math.max(0, ms);
    return new Promise((resolve) =>
      setImmediate(() => {
        this.advanceTo(until);
        resolve();
      }),
    );
  };
}

export class NonDeterministicOrchestrationError extends Error {}

function flatten(actions: readonly Action[]): Action[] {
  return actions.flatMap((action) =>
    action.actionType === ActionType.WhenAll || action.actionType === ActionType.WhenAny ? flatten(action.compoundActions ?? []) : [action],
  );
}

function sameAction(left: Action, right: Action): boolean {
  return (
    left.actionType === right.actionType &&
    left.functionName === right.functionName &&
    left.externalEventName === right.externalEventName &&
    JSON.stringify(left.input ?? null) === JSON.stringify(right.input ?? null) &&
    JSON.stringify(left.retryOptions ?? null) === JSON.stringify(right.retryOptions ?? null) &&
    (left.actionType !== ActionType.CreateTimer || left.fireAt === right.fireAt)
  );
}

function decodeTypedData(data: unknown): unknown {
  const typed = (data ?? {}) as { json?: string; string?: string; int?: number; double?: number };
  if (typed.json !== undefined) return JSON.parse(typed.json) as unknown;
  if (typed.string !== undefined) {
    try {
      return JSON.parse(typed.string) as unknown;
    } catch {
      return typed.string;
    }
  }
  return typed.int ?? typed.double;
}

/** OrchestrationFailureError carries the orchestrator state after this label. */
const OUT_OF_PROC_LABEL = '\n\n$OutOfProcData$:';

export class LocalDurableHost {
  private readonly instances = new Map<string, Instance>();
  private readonly work: PendingWork[] = [];
  private timers: Timer[] = [];
  private sequence = 0;
  /** Orchestrator invocations, for measurements. */
  replays = 0;
  activityExecutions = 0;
  /** Activity executions that threw (Durable records TaskFailed and its retry policy decides). */
  activityFailures = 0;
  /** Wall time spent inside orchestrator invocations (the replay code and the generators), in ms. */
  replayMs = 0;
  /** Replays, their time and the events they replayed, by orchestrator name (benchmarks). */
  readonly replaysByOrchestrator = new Map<string, { replays: number; ms: number; events: number }>();
  /** Activity executions by activity name (benchmarks). */
  readonly activitiesByName = new Map<string, number>();

  constructor(
    private readonly functions: LocalFunctionsHost,
    readonly clock: VirtualClock,
  ) {}

  private event(type: number, fields: Record<string, unknown> = {}): HistoryEvent {
    return { EventType: type, EventId: -1, Timestamp: new Date(this.clock.now()).toISOString(), IsPlayed: false, ...fields };
  }

  startNew(name: string, input: unknown, instanceId?: string, parent?: Instance['parent']): string {
    const id = instanceId ?? `instance-${(this.sequence += 1)}`;
    // As the extension: an id whose instance completed, failed or was terminated may start again
    // (it replaces that instance); one still pending or running may not (OverridableStates.NonRunningStates).
    const existing = this.instances.get(id);
    if (existing !== undefined && (existing.status === 'Pending' || existing.status === 'Running')) throw new Error(`instance ${id} already exists`);
    this.functions.get(name);
    const now = this.clock.now();
    this.instances.set(id, {
      id,
      name,
      input,
      history: [],
      inbox: [this.event(EventType.ExecutionStarted, { Name: name, Input: JSON.stringify(input ?? null) })],
      executed: [],
      actionsByTaskId: new Map(),
      nextTaskId: 0,
      retries: new Map(),
      status: 'Pending',
      customStatus: null,
      output: undefined,
      error: undefined,
      parent,
      bufferedEvents: [],
      waitingFor: new Set(),
      createdAt: now,
      lastUpdatedAt: now,
    });
    return id;
  }

  raiseEvent(instanceId: string, name: string, data: unknown): void {
    const instance = this.mustGet(instanceId);
    if (instance.status !== 'Running' && instance.status !== 'Pending') throw new Error(`instance ${instanceId} is ${instance.status}`);
    instance.inbox.push(this.event(EventType.EventRaised, { Name: name, Input: JSON.stringify(data ?? null) }));
  }

  terminate(instanceId: string, reason: string): void {
    const instance = this.mustGet(instanceId);
    if (instance.status === 'Completed' || instance.status === 'Failed' || instance.status === 'Terminated') return;
    instance.status = 'Terminated';
    instance.output = reason;
    instance.inbox = [];
    this.timers = this.timers.filter((timer) => timer.instanceId !== instanceId);
  }

  getStatus(instanceId: string): OrchestrationStatus | undefined {
    const instance = this.instances.get(instanceId);
    if (instance === undefined) return undefined;
    return {
      instanceId: instance.id,
      name: instance.name,
      runtimeStatus: instance.status,
      input: instance.input,
      customStatus: instance.customStatus,
      output: instance.output,
      error: instance.error,
      createdTime: new Date(instance.createdAt).toISOString(),
      lastUpdatedTime: new Date(instance.lastUpdatedAt).toISOString(),
      historyLength: instance.history.length,
    };
  }

  /** Activities scheduled and not yet executed, by name (what the task hub's work-item queue holds). */
  pendingActivities(name: string): number {
    return this.work.filter((work) => work.name === name).length;
  }

  listInstances(): OrchestrationStatus[] {
    return [...this.instances.keys()].map((id) => this.getStatus(id)).filter((status): status is OrchestrationStatus => status !== undefined);
  }

  private mustGet(instanceId: string): Instance {
    const instance = this.instances.get(instanceId);
    if (instance === undefined) throw new Error(`no instance ${instanceId}`);
    return instance;
  }

  /**
   * Throws away work in flight that no history records yet, as a process crash would. Returns how
   * many finished activity results were lost (those activities run again).
   */
  crash(): number {
    this.work.length = 0;
    let lostResults = 0;
    for (const instance of this.instances.values()) {
      // Activity results not yet in the history are lost, and those activities run again.
      const kept = instance.inbox.filter((event) => event.EventType !== EventType.TaskCompleted && event.EventType !== EventType.TaskFailed);
      lostResults += instance.inbox.length - kept.length;
      instance.inbox = kept;
      for (const event of instance.history) {
        if (event.EventType !== EventType.TaskScheduled) continue;
        const taskId = event.EventId;
        const done = instance.history.some(
          (other) => (other.EventType === EventType.TaskCompleted || other.EventType === EventType.TaskFailed) && other['TaskScheduledId'] === taskId,
        );
        if (!done)
          this.work.push({
            kind: 'activity',
            instanceId: instance.id,
            taskId,
            name: String(event['Name']),
            inputJson: typeof event['Input'] === 'string' ? event['Input'] : 'null',
          });
      }
    }
    return lostResults;
  }

  /**
   * Runs until every instance is finished or waits for an external event. Timers fire in time
   * order by advancing the virtual clock. `onStep` may crash the host between steps.
   */
  async run(options: { maxSteps?: number; onStep?: (step: number) => void; until?: () => boolean } = {}): Promise<void> {
    const maxSteps = options.maxSteps ?? 1_000_000;
    for (let step = 0; step < maxSteps; step += 1) {
      options.onStep?.(step);
      if (options.until?.() === true) return;
      const ready = [...this.instances.values()].find(
        (instance) => instance.inbox.length > 0 && (instance.status === 'Pending' || instance.status === 'Running'),
      );
      if (ready !== undefined) {
        await this.replay(ready);
        continue;
      }
      const work = this.work.shift();
      if (work !== undefined) {
        await this.execute(work);
        continue;
      }
      const next = this.timers.sort((left, right) => left.fireAt - right.fireAt || left.taskId - right.taskId).shift();
      if (next !== undefined) {
        this.clock.advanceTo(next.fireAt);
        const instance = this.instances.get(next.instanceId);
        if (instance !== undefined && instance.status === 'Running' && !this.timerCanceled(instance, next.taskId)) {
          instance.inbox.push(this.event(EventType.TimerFired, { TimerId: next.taskId, FireAt: new Date(next.fireAt).toISOString() }));
        }
        continue;
      }
      return;
    }
    throw new Error(`the durable host did not settle within ${maxSteps} steps`);
  }

  private timerCanceled(instance: Instance, taskId: number): boolean {
    const action = instance.actionsByTaskId.get(taskId);
    return action?.isCanceled === true;
  }

  /** A completion event that moves a retry chain on (the library then takes a new task id for it). */
  private isRetryStep(instance: Instance, event: HistoryEvent): boolean {
    if (event.EventType === EventType.TaskFailed) return instance.retries.get(Number(event['TaskScheduledId']))?.phase === 'attempt';
    if (event.EventType === EventType.TimerFired) return instance.retries.get(Number(event['TimerId']))?.phase === 'timer';
    return false;
  }

  /**
   * The events of the next replay. A retry step is replayed on its own: the library gives the
   * retry's timer (or next attempt) the next task id as it reads that event, before any action the
   * orchestrator yields after it, and the extension numbers them the same way; alone in its replay,
   * the step's id is known without modelling the library.
   */
  private nextBatch(instance: Instance): HistoryEvent[] {
    const index = instance.inbox.findIndex((event) => this.isRetryStep(instance, event));
    if (index === 0) return instance.inbox.splice(0, 1);
    return instance.inbox.splice(0, index < 0 ? instance.inbox.length : index);
  }

  /** What the extension does with a retry step, after the replay that read it. */
  private advanceRetry(instance: Instance, event: HistoryEvent, replayStartedAt: number): void {
    const failedAttempt = event.EventType === EventType.TaskFailed;
    const key = Number(failedAttempt ? event['TaskScheduledId'] : event['TimerId']);
    const chain = instance.retries.get(key);
    if (chain === undefined) return;
    instance.retries.delete(key);
    if (failedAttempt) {
      const { options } = chain;
      const taskId = (instance.nextTaskId += 1) - 1;
      const interval = options.firstRetryIntervalInMilliseconds * (options.backoffCoefficient ?? 1) ** (chain.attempt - 1);
      const fireAt = replayStartedAt + Math.min(interval, options.maxRetryIntervalInMilliseconds ?? DEFAULT_MAX_RETRY_INTERVAL_MS);
      instance.history.push({ ...this.event(EventType.TimerCreated, { FireAt: new Date(fireAt).toISOString() }), EventId: taskId });
      this.timers.push({ instanceId: instance.id, taskId, fireAt });
      instance.retries.set(taskId, { ...chain, phase: 'timer' });
      return;
    }
    // The timer after the last attempt fired: the library fails the task now; nothing is scheduled.
    if (chain.attempt >= chain.options.maxNumberOfAttempts) return;
    const taskId = (instance.nextTaskId += 1) - 1;
    instance.history.push({ ...this.event(EventType.TaskScheduled, { Name: chain.name, Input: chain.inputJson }), EventId: taskId });
    this.work.push({ kind: 'activity', instanceId: instance.id, taskId, name: chain.name, inputJson: chain.inputJson });
    instance.retries.set(taskId, { ...chain, attempt: chain.attempt + 1, phase: 'attempt' });
  }

  private async execute(work: PendingWork): Promise<void> {
    const instance = this.instances.get(work.instanceId);
    if (instance === undefined || instance.status !== 'Running') return;
    this.activityExecutions += 1;
    this.activitiesByName.set(work.name, (this.activitiesByName.get(work.name) ?? 0) + 1);
    try {
      const response = await this.functions.invoke(work.name, { json: work.inputJson });
      const result = decodeTypedData(response.returnValue);
      instance.inbox.push(this.event(EventType.TaskCompleted, { TaskScheduledId: work.taskId, Result: JSON.stringify(result ?? null) }));
    } catch (error) {
      this.activityFailures += 1;
      const message = error instanceof Error ? error.message : String(error);
      instance.inbox.push(this.event(EventType.TaskFailed, { TaskScheduledId: work.taskId, Reason: message, Details: '' }));
    }
  }

  private async replay(instance: Instance): Promise<void> {
    this.replays += 1;
    const newEvents = this.nextBatch(instance);
    const retryStep = newEvents.length === 1 && newEvents[0] !== undefined && this.isRetryStep(instance, newEvents[0]) ? newEvents[0] : undefined;
    const started = this.event(EventType.OrchestratorStarted);
    const history = [...instance.history.map((event) => ({ ...event, IsPlayed: true })), started, ...newEvents];
    const payload = {
      history,
      input: instance.input,
      instanceId: instance.id,
      isReplaying: instance.history.length > 0,
      parentInstanceId: instance.parent?.instanceId ?? '',
      upperSchemaVersion: 1,
      maximumShortTimerDuration: '6.00:00:00',
      longRunningTimerIntervalDuration: '3.00:00:00',
      defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
    };
    let state: { isDone?: boolean; actions?: Action[][]; output?: unknown; error?: string; customStatus?: unknown };
    let failed = false;
    const replayStarted = performance.now();
    try {
      const response = await this.functions.invoke(instance.name, { json: JSON.stringify(payload) });
      state = decodeTypedData(response.returnValue) as typeof state;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const index = message.indexOf(OUT_OF_PROC_LABEL);
      state = index < 0 ? { error: message } : (JSON.parse(message.slice(index + OUT_OF_PROC_LABEL.length)) as typeof state);
      state.error ??= index < 0 ? message : message.slice(0, index);
      failed = true;
    }
    this.countReplay(instance.name, performance.now() - replayStarted, history.length);
    instance.history = [...history.map((event) => ({ ...event, IsPlayed: true }))];
    instance.status = 'Running';
    instance.customStatus = state.customStatus ?? instance.customStatus;
    instance.lastUpdatedAt = this.clock.now();

    if (retryStep !== undefined) this.advanceRetry(instance, retryStep, Date.parse(started.Timestamp));
    for (const event of newEvents) if (event.EventType === EventType.TaskCompleted) instance.retries.delete(Number(event['TaskScheduledId']));
    const actions = flatten((state.actions ?? []).flat());
    const numbered = actions.filter((action) => action.actionType !== ActionType.WaitForExternalEvent);
    for (let index = 0; index < Math.min(instance.executed.length, numbered.length); index += 1) {
      const before = instance.executed[index];
      const now = numbered[index];
      if (before === undefined || now === undefined || !sameAction(before, now)) {
        this.finish(
          instance,
          'Failed',
          undefined,
          `Non-deterministic orchestrator ${instance.name}: action ${index} was ${JSON.stringify(before)} and is now ${JSON.stringify(now)}`,
        );
        return;
      }
      // Cancellation (a timer that lost a race) may change between replays.
      before.isCanceled = now.isCanceled;
    }
    for (let index = instance.executed.length; index < numbered.length; index += 1) {
      const action = numbered[index];
      if (action === undefined) continue;
      const taskId = (instance.nextTaskId += 1) - 1;
      instance.executed.push(action);
      instance.actionsByTaskId.set(taskId, action);
      this.schedule(instance, action, taskId);
    }
    for (const action of actions) {
      if (action.actionType === ActionType.WaitForExternalEvent && action.externalEventName !== undefined) instance.waitingFor.add(action.externalEventName);
    }

    if (failed) {
      this.finish(instance, 'Failed', undefined, state.error ?? 'orchestrator failed');
    } else if (state.isDone === true) {
      this.finish(instance, 'Completed', state.output, undefined);
    }
  }

  private countReplay(name: string, ms: number, events: number): void {
    this.replayMs += ms;
    const entry = this.replaysByOrchestrator.get(name) ?? { replays: 0, ms: 0, events: 0 };
    entry.replays += 1;
    entry.ms += ms;
    entry.events += events;
    this.replaysByOrchestrator.set(name, entry);
  }

  private schedule(instance: Instance, action: Action, taskId: number): void {
    switch (action.actionType) {
      case ActionType.CallActivity:
        instance.history.push({
          ...this.event(EventType.TaskScheduled, { Name: action.functionName, Input: activityInputJson(action.input) }),
          EventId: taskId,
        });
        this.work.push({ kind: 'activity', instanceId: instance.id, taskId, name: action.functionName ?? '', inputJson: activityInputJson(action.input) });
        break;
      case ActionType.CallActivityWithRetry: {
        const options = action.retryOptions;
        if (options === undefined || options.retryTimeoutInMilliseconds !== undefined) {
          // Past the timeout the extension fails the orchestration, not the task; nothing here needs it.
          this.finish(instance, 'Failed', undefined, 'the local durable host supports retry options without retryTimeoutInMilliseconds only');
          break;
        }
        const inputJson = activityInputJson(action.input);
        instance.history.push({ ...this.event(EventType.TaskScheduled, { Name: action.functionName, Input: inputJson }), EventId: taskId });
        this.work.push({ kind: 'activity', instanceId: instance.id, taskId, name: action.functionName ?? '', inputJson });
        instance.retries.set(taskId, { name: action.functionName ?? '', inputJson, options, attempt: 1, phase: 'attempt' });
        break;
      }
      case ActionType.CallSubOrchestrator: {
        const childId = action.instanceId || `${instance.id}:${taskId}`;
        instance.history.push({
          ...this.event(EventType.SubOrchestrationInstanceCreated, { Name: action.functionName, InstanceId: childId }),
          EventId: taskId,
        });
        if (!this.instances.has(childId)) this.startNew(action.functionName ?? '', action.input, childId, { instanceId: instance.id, taskId });
        break;
      }
      case ActionType.CreateTimer: {
        const fireAt = Date.parse(action.fireAt ?? '');
        instance.history.push({ ...this.event(EventType.TimerCreated, { FireAt: action.fireAt }), EventId: taskId });
        this.timers.push({ instanceId: instance.id, taskId, fireAt });
        break;
      }
      default:
        this.finish(instance, 'Failed', undefined, `the local durable host does not support action type ${action.actionType}`);
    }
  }

  private finish(instance: Instance, status: 'Completed' | 'Failed', output: unknown, error: string | undefined): void {
    instance.status = status;
    instance.output = output;
    instance.error = error;
    instance.lastUpdatedAt = this.clock.now();
    this.timers = this.timers.filter((timer) => timer.instanceId !== instance.id);
    if (instance.parent === undefined) return;
    const parent = this.instances.get(instance.parent.instanceId);
    if (parent === undefined) return;
    parent.inbox.push(
      status === 'Completed'
        ? this.event(EventType.SubOrchestrationInstanceCompleted, { TaskScheduledId: instance.parent.taskId, Result: JSON.stringify(output ?? null) })
        : this.event(EventType.SubOrchestrationInstanceFailed, { TaskScheduledId: instance.parent.taskId, Reason: error ?? 'failed', Details: '' }),
    );
  }
}
