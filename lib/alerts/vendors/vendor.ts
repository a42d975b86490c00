/**
 * What an alert vendor is: one module under `lib/alerts/vendors/<name>/` exporting one
 * `AlertVendor`, listed once in `./index.ts`. The routing document, the destination checks, the
 * renderer, the drain and the local sink all reach a vendor through this interface only, as
 * Alertmanager's `notify/<vendor>/` packages do. Every field is required: a vendor that does not
 * declare its delivery guarantee (or any other part) does not compile.
 */
import { z } from 'zod';

import { isRetryableReason, reasonFromStatus } from '../../errors.js';
import type { Secret } from '../../secret.js';
import type { PlannedNotification } from '../alert.js';
import type { AlertStore } from '../alertStore.js';
import type { RenderedMessage } from '../notifiers/common.js';
import type { HttpAnswer } from '../transport.js';

/**
 * What happens when a drain dies between sending a message and recording that it was sent:
 * - `at-least-once`: the next drain sends it again. Only for vendors that de-duplicate a repeat
 *   (PagerDuty by `dedup_key`, Opsgenie by `alias`, webhook receivers by `X-FleetGuard-Delivery`).
 * - `at-most-once`: the message is marked `uncertain` and not resent, because the vendor has no
 *   idempotency key and a resend would post it twice (Slack, Teams).
 */
export type DeliveryGuarantee = 'at-most-once' | 'at-least-once';

/** What the drain does after a vendor answered with an HTTP error status. */
export type RetryVerdict = 'retry' | 'give-up';

/** A receiver as the pipeline holds it: the vendor's name and its settings, secrets resolved. */
export interface VendorReceiver<Type extends string = string> {
  name: string;
  type: Type;
}

/** Resolves an app setting named in the routing document into a secret (records a problem when unset). */
export type SecretLookup = (setting: string) => Secret;

/** What the destination rule sees of the routing document. */
export interface DestinationContext {
  webhookAllowedHosts: readonly string[];
}

/**
 * Where a vendor's messages go:
 * - `vendorEndpoint`: a fixed, public vendor URL (not a secret); the receiver picks one of
 *   `endpoints` (a region). With an endpoint override (the local sink), the URL's path is kept.
 * - `configuredUrl`: a secret URL from an app setting, checked at start-up (https, no
 *   credentials, a public host among `allowedHosts`). With an override only `/{vendor}/{receiver}`
 *   is kept: the URL's path is the secret.
 */
export type DestinationRule<Entry, Receiver> =
  | { kind: 'vendorEndpoint' }
  | {
      kind: 'configuredUrl';
      /** The app setting holding the URL: errors name it, never the URL. */
      setting(entry: Entry): string;
      url(receiver: Receiver): Secret;
      /** Exact host names or `*.example.com` patterns the URL may name. */
      allowedHosts(context: DestinationContext): readonly string[];
      /** The error when the host is not allowed, e.g. "host is not one of hooks.slack.com". */
      hostNotAllowed(allowed: readonly string[]): string;
    };

/** One request as the drain sends it. `url` is the vendor's real URL. */
export interface OutgoingRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

/** What the request builder gets of an outbox message. */
export interface StoredMessage {
  /** JSON the renderer produced (`RenderedMessage.body`), without secrets. */
  body: string;
  /** Unique per message, the same on every attempt. */
  deliveryId: string;
}

/** A request as the vendor's service receives it (the local sink asks the vendor module about it). */
export interface ServiceRequest {
  /** Path and query after the vendor's host (with the sink: after `/{vendor}/{receiver}`). */
  path: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  rawBody: string;
  /** The parsed JSON body, undefined when it is not JSON. */
  body: unknown;
}

export interface ServiceAnswer {
  status: number;
  contentType: string;
  text: string;
}

/**
 * The vendor's documented behaviour as a service: the limits it enforces (with the answer it
 * gives), its success answer and, for vendors that keep incidents, which key a request opens or
 * closes. The local sink answers like the vendor from this, and the conformance tests check every
 * rendered message against it. Each rule names its source in the vendor's module.
 */
export interface VendorService {
  /** The vendor's refusal of a request past its documented limits, or undefined. */
  refusal(request: ServiceRequest): ServiceAnswer | undefined;
  /** The vendor's answer to a request it accepts. */
  accepted(request: ServiceRequest): ServiceAnswer;
  /** Which incident key the request opens or closes (PagerDuty `dedup_key`, Opsgenie `alias`). */
  incident?(request: ServiceRequest): { key: string; action: 'open' | 'close' } | undefined;
}

/** A documented example receiver: the README and the conformance tests use it. */
export interface VendorExample {
  /** The receiver entry of the routing document (`name: example`). */
  entry: Record<string, unknown>;
  /** App settings the entry names, with fake values. */
  settings: Record<string, string>;
  /** `webhookAllowedHosts` of the routing document, when the vendor needs them. */
  webhookAllowedHosts?: readonly string[];
  /** The host a message to this receiver must reach without an endpoint override. */
  realHost: string;
}

/** What a vendor's send-time steps may read and write: the alert table's stores, and the drain's clock. */
export interface SendContext {
  store: AlertStore;
  now: Date;
}

/** One request of a stateful vendor, and the step it performs (opaque to the drain, handed back to `answered`). */
export interface SendStep {
  request: OutgoingRequest;
  step: string;
  /**
   * Requests sharing this key are spaced at least `paceMs` apart within one drain (a vendor's
   * documented rate, e.g. Slack's one chat.postMessage per second per channel).
   */
  pace?: { key: string; ms: number };
}

/** What a stateful vendor made of an answer to one step. */
export type StepOutcome =
  | { outcome: 'done' }
  /** The step was applied; `body` is the outbox message's new body, naming the steps left. */
  | { outcome: 'more'; body: string }
  | { outcome: 'retry' | 'give-up'; error: string };

/**
 * Send-time steps of a vendor whose request depends on what it answered before (the Slack app:
 * chat.update needs the `ts` the first chat.postMessage returned, which the outbox message written
 * at plan time cannot hold). The drain asks for the next request when it sends the message (per
 * receiver, in order), and hands every answer back: the vendor reads its body (Slack answers
 * HTTP 200 with `ok: false`), records what it needs, and says whether steps are left.
 */
export interface SendSteps<Receiver> {
  /** The next request for this outbox message; undefined when nothing is left to send. */
  next(message: StoredMessage, receiver: Receiver, context: SendContext): Promise<SendStep | undefined>;
  /** The vendor's reading of an answer (any HTTP status; no answer at all is always retried by the drain). */
  answered(message: StoredMessage, step: string, answer: HttpAnswer, receiver: Receiver, context: SendContext): Promise<StepOutcome>;
}

export interface AlertVendor<
  Name extends string = string,
  Entry extends { name: string; type: Name } = { name: string; type: Name },
  Receiver extends VendorReceiver<Name> = VendorReceiver<Name>,
> {
  name: Name;
  /** The receiver entry of the routing document, `type: <name>` (see `receiverEntry`). */
  schema: z.ZodType<Entry>;
  /** The receiver from its entry, secrets resolved from the app settings it names. */
  receiver(entry: Entry, secret: SecretLookup): Receiver;
  destination: DestinationRule<Entry, Receiver>;
  /** The vendor's real endpoint(s): for `vendorEndpoint`, by region; for `configuredUrl`, its hosts. */
  endpoints: Readonly<Record<string, string>>;
  /** The messages one planned notification becomes, each within `budgetBytes`. */
  render(notification: PlannedNotification): RenderedMessage[];
  /** Every rendered body is at most this many UTF-8 bytes of JSON (see notifiers/budget.ts). */
  budgetBytes: number;
  /** The request for one outbox message, to the vendor's real URL, secrets added. */
  request(message: StoredMessage, receiver: Receiver, now: Date): OutgoingRequest;
  /** Every secret of the receiver: scrubbed from recorded responses and errors. */
  secrets(receiver: Receiver): Secret[];
  /** Retry classification of an HTTP error status (no answer at all is always retried). */
  retry(status: number): RetryVerdict;
  deliveryGuarantee: DeliveryGuarantee;
  service: VendorService;
  example: VendorExample;
  /** Optional: a vendor that resolves its requests at send time and reads its answers (see `SendSteps`). */
  steps?: SendSteps<Receiver>;
}

const SETTING_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A field naming the app setting that holds a secret. */
export const settingName = z.string().regex(SETTING_NAME, 'must be the name of an app setting');

/** The zod schema of a receiver entry: `name`, `type: <vendor>` and the vendor's own fields. */
export function receiverEntry<Name extends string, Shape extends z.ZodRawShape>(name: Name, shape: Shape) {
  return z.object({ name: z.string().min(1), type: z.literal(name), ...shape }).strict();
}

/** Alertmanager's classification (`notify/util.go`): retry on 429 and 5xx, never on other 4xx. */
export function retryOn429And5xx(status: number): RetryVerdict {
  return isRetryableReason(reasonFromStatus(status)) ? 'retry' : 'give-up';
}

/** A JSON answer. */
export function jsonAnswer(status: number, value: unknown): ServiceAnswer {
  return { status, contentType: 'application/json', text: JSON.stringify(value) };
}
