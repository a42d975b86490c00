/**
 * The one error type of the project. Every failure that crosses a module boundary carries a
 * machine-readable reason, so callers decide "retry, report or reject" without parsing messages
 * (the same split Prometheus Alertmanager's notifiers make in notify/util.go).
 */
export type FailureReason =
  /** The request was wrong (4xx other than 401/403/429): retrying cannot help. */
  | 'clientError'
  /** The identity is not authenticated or not authorized (401/403). */
  | 'authError'
  /**
   * No credential could get a token at all (not signed in, no managed identity): nothing reached
   * the service. @azure/identity throws CredentialUnavailableError when every credential of a chain
   * is unavailable and AggregateAuthenticationError / AuthenticationError when one was rejected.
   */
  | 'authentication'
  /** The service asked us to slow down (429). */
  | 'rateLimited'
  /** The service failed (5xx) or did not answer: a retry may help. */
  | 'serverError'
  /** A setting is missing or malformed. */
  | 'config'
  /** An input (file, body, event, snapshot) is malformed. */
  | 'badInput';

export class FleetGuardError extends Error {
  override readonly name = 'FleetGuardError';
  readonly reason: FailureReason;
  /** HTTP status of the failed call, when the failure came from one. */
  readonly status: number | undefined;

  constructor(reason: FailureReason, message: string, options: { cause?: unknown; status?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.status = options.status;
  }

  /** True when the same call may succeed later (throttling, server errors, timeouts). */
  get retryable(): boolean {
    return isRetryableReason(this.reason);
  }
}

export function isRetryableReason(reason: FailureReason): boolean {
  return reason === 'rateLimited' || reason === 'serverError';
}

/** Maps an HTTP status to a reason: retry on 429 and 5xx, never on other 4xx. */
export function reasonFromStatus(status: number): FailureReason {
  if (status === 401 || status === 403) return 'authError';
  if (status === 429) return 'rateLimited';
  if (status >= 500) return 'serverError';
  if (status >= 400) return 'clientError';
  return 'serverError';
}

const NETWORK_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'REQUEST_SEND_ERROR']);

/**
 * Normalises anything thrown by an SDK call into a FleetGuardError. `context` says what was being
 * done ("listing clusters of subscription X") and becomes the start of the message.
 */
export function toFleetGuardError(error: unknown, context: string): FleetGuardError {
  if (error instanceof FleetGuardError) return error;
  if (isCredentialFailure(error)) return new FleetGuardError('authentication', `${context}: ${serviceMessageOf(error)}`, { cause: error });
  const status = statusOf(error);
  const detail = serviceMessageOf(error);
  if (status !== undefined) {
    return new FleetGuardError(reasonFromStatus(status), `${context}: HTTP ${status}${detail ? ` ${detail}` : ''}`, { cause: error, status });
  }
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
  if (code !== undefined && NETWORK_ERROR_CODES.has(code)) {
    return new FleetGuardError('serverError', `${context}: ${code}${detail ? ` ${detail}` : ''}`, { cause: error });
  }
  return new FleetGuardError('serverError', `${context}: ${detail || String(error)}`, { cause: error });
}

/**
 * The errors @azure/identity throws when no token could be had (by name: the package is loaded
 * lazily, and an `instanceof` would import it). Names from its src/errors.ts:
 * https://github.com/Azure/azure-sdk-for-js/blob/main/sdk/identity/identity/src/errors.ts
 */
const CREDENTIAL_ERROR_NAMES = new Set(['CredentialUnavailableError', 'AggregateAuthenticationError', 'AuthenticationError', 'AuthenticationRequiredError']);

/** True for an error of a credential that could not get a token (see {@link FailureReason} `authentication`). */
export function isCredentialFailure(error: unknown): boolean {
  return error instanceof Error && CREDENTIAL_ERROR_NAMES.has(error.name);
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const candidate = (error as { statusCode?: unknown }).statusCode ?? (error as { status?: unknown }).status;
  return typeof candidate === 'number' ? candidate : undefined;
}

/** The service's own error code and message (ARM puts them in `error.code`/`error.message`). */
function serviceMessageOf(error: unknown): string {
  if (!(error instanceof Error)) return '';
  const code = (error as { code?: unknown }).code;
  const prefix = typeof code === 'string' && code.length > 0 && !NETWORK_ERROR_CODES.has(code) ? `${code}: ` : '';
  return `${prefix}${error.message}`.trim();
}

/** A short, single-line description for logs and CLI output. */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').trim();
}

/** How {@link describeZodIssues} names the field of an issue. */
export interface IssueFormat {
  /** The name of the whole value, for an issue about the value itself ("body", "(event)"). */
  whole: string;
  /** Written before every path (an event's `data`); the whole value is then named `prefix`. */
  prefix?: string;
  /**
   * `dotted` writes `a.b.0` (the default), `indexed` writes `a.b[0]`; a function writes the path
   * its own way (settings name the entry of a list, not its index).
   */
  path?: 'dotted' | 'indexed' | ((path: readonly PropertyKey[]) => string);
}

/** An issue's path written in one of the {@link IssueFormat} styles. */
export function formatIssuePath(path: readonly PropertyKey[], style: IssueFormat['path']): string {
  if (typeof style === 'function') return style(path);
  if (style === 'indexed')
    return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : `${text}${text ? '.' : ''}${String(key)}`), '');
  return path.map(String).join('.');
}

/**
 * The one formatter of zod errors: each issue as `<field>: <problem>`, naming the field the way
 * `format` says. A missing field reads "is required" rather than zod's "expected string, received
 * undefined". Callers decide how many issues to show and what error to raise.
 */
export function describeZodIssues(
  error: { readonly issues: ReadonlyArray<{ readonly path: readonly PropertyKey[]; readonly message: string; readonly code: string }> },
  format: IssueFormat,
): string[] {
  return error.issues.map((issue) => {
    const written = formatIssuePath(issue.path, format.path);
    const field = format.prefix === undefined ? written || format.whole : [format.prefix, written].filter((part) => part !== '').join('.');
    const problem = issue.code === 'invalid_type' && /received undefined$/.test(issue.message) ? 'is required' : issue.message;
    return `${field}: ${problem}`;
  });
}

/** The first issue of a zod error (see {@link describeZodIssues}). */
export function describeZodError(error: Parameters<typeof describeZodIssues>[0], format: IssueFormat): string {
  return describeZodIssues(error, format)[0] ?? `${format.prefix ?? format.whole}: invalid`;
}
