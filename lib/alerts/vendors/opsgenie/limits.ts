/**
 * Opsgenie Alert API v2, as documented (docs.opsgenie.com/docs/alert-api, "Create Alert" and
 * "Close Alert"; docs.opsgenie.com/docs/response for status codes):
 * - create: `POST {endpoint}/v2/alerts`, header `Authorization: GenieKey <key>`; `message` is
 *   required and at most 130 characters, `alias` 512 (the de-duplication key: "there can be only
 *   one alert with open status with the same alias"), `description` 15,000, `tags` 20 of 50,
 *   `details` 8,000 characters in all, `entity` 512, `source` 100, `priority` P1–P5 (default P3);
 * - close: `POST {endpoint}/v2/alerts/{identifier}/close?identifierType=alias`, body `user`,
 *   `source`, `note` (25,000);
 * - both are processed asynchronously: 202 with `{"result":"Request will be processed","took",
 *   "requestId"}`; 422 for "semantic errors in request body", 401 for an invalid key, 429 when
 *   throttled, 5xx for server errors;
 * - endpoints: `https://api.opsgenie.com`, and `https://api.eu.opsgenie.com` for the EU instance
 *   ("If using the EU instance of Opsgenie, the URL needs to be https://api.eu.opsgenie.com").
 */
export const OPSGENIE_LIMITS = {
  message: 130,
  alias: 512,
  description: 15_000,
  tags: 20,
  tag: 50,
  detailsTotal: 8_000,
  entity: 512,
  source: 100,
  note: 25_000,
} as const;

export const OPSGENIE_ENDPOINTS = { us: 'https://api.opsgenie.com', eu: 'https://api.eu.opsgenie.com' } as const;

export type OpsgenieRegion = keyof typeof OPSGENIE_ENDPOINTS;

export const OPSGENIE_PRIORITIES = ['P1', 'P2', 'P3', 'P4', 'P5'] as const;

export const CREATE_PATH = '/v2/alerts';

/** The close request's path for an alert identified by its alias. */
export function closePath(alias: string): string {
  return `/v2/alerts/${encodeURIComponent(alias)}/close?identifierType=alias`;
}

/** Characters of a `details` map as Opsgenie counts its 8,000 (keys and values). */
export function detailsLength(details: Record<string, string>): number {
  return Object.entries(details).reduce((sum, [key, value]) => sum + key.length + value.length, 0);
}
