import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A secret value (webhook URL, routing key, HMAC key). It prints, serialises and inspects as
 * `[redacted]`, so a log line, an error message or a stored JSON document cannot leak it by
 * accident; only `reveal()` gives the value, at the point of use.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

/** Replaces every occurrence of the given secrets in `text` (for recording vendor responses). */
export function scrubSecrets(text: string, secrets: readonly Secret[]): string {
  let scrubbed = text;
  for (const secret of secrets) {
    const value = secret.reveal();
    if (value.length >= 4) scrubbed = scrubbed.split(value).join(REDACTED);
  }
  return scrubbed;
}
