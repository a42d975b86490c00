/**
 * What an HTTP caller is told when a store, the durable task hub or Azure fails: what failed, in
 * fixed words, and a correlation id. The detail (storage error text, SDK error codes, internal
 * addresses and ports) goes to the log under the same id and never into the answer or the report:
 * a failure tells a caller nothing about the app's internals, and an operator finds the detail by id.
 */
import { randomUUID } from 'node:crypto';

import { describeError } from './errors.js';

/** Where the detail of a failure goes. The Functions worker forwards console output to the host's log. */
export type FailureLog = (message: string) => void;

const consoleLog: FailureLog = (message) => console.error(message);

/** A fresh correlation id, logged with the failure's detail under `what`. */
export function logFailure(what: string, error: unknown, log: FailureLog = consoleLog): string {
  const correlationId = randomUUID();
  log(`${what} [correlation id ${correlationId}]: ${describeError(error)}`);
  return correlationId;
}

export interface UnavailableAnswer {
  status: 503;
  body: { error: string; correlationId: string };
}

/**
 * A 503 saying `what` in words ("the rollout store is unavailable") and to retry later, with a
 * correlation id; the error itself is logged, not answered.
 */
export function unavailable(what: string, error: unknown, log?: FailureLog): UnavailableAnswer {
  const correlationId = logFailure(what, error, log);
  return { status: 503, body: { error: `${what}; retry later (correlation id ${correlationId})`, correlationId } };
}
