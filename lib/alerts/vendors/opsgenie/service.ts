/**
 * What Opsgenie's Alert API v2 accepts and answers (limits.ts has the sources), for the local sink
 * and the conformance tests. A request past a documented limit is refused with 422 ("Semantic
 * errors in request body", docs.opsgenie.com/docs/response) rather than cut, so our renderer must
 * stay within them; a missing `GenieKey` is 401 ("apiKey is invalid"); another path is 404.
 * Accepted requests answer 202 with a `requestId`. The `alias` is the incident key: a create opens
 * (or, while open, is merged into) the alert, a close by alias closes it.
 */
import { createHash } from 'node:crypto';

import { jsonAnswer, type ServiceAnswer, type ServiceRequest, type VendorService } from '../vendor.js';
import { CREATE_PATH, detailsLength, OPSGENIE_LIMITS, OPSGENIE_PRIORITIES } from './limits.js';

const CLOSE = /^\/v2\/alerts\/([^/?]+)\/close\?identifierType=alias$/;

function error(status: number, message: string, request: ServiceRequest): ServiceAnswer {
  return jsonAnswer(status, { message, took: 0.001, requestId: requestIdOf(request) });
}

function requestIdOf(request: ServiceRequest): string {
  const hex = createHash('sha256').update(`${request.path}\n${request.rawBody}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The first documented limit the create body breaks, or undefined. */
function createProblem(body: Record<string, unknown>): string | undefined {
  const message = text(body['message']);
  if (message === undefined || message.trim() === '') return 'Message can not be empty.';
  if (message.length > OPSGENIE_LIMITS.message) return `Message can not be longer than ${OPSGENIE_LIMITS.message} characters.`;
  const limited: Array<[string, number]> = [
    ['alias', OPSGENIE_LIMITS.alias],
    ['description', OPSGENIE_LIMITS.description],
    ['entity', OPSGENIE_LIMITS.entity],
    ['source', OPSGENIE_LIMITS.source],
  ];
  for (const [field, max] of limited) if ((text(body[field]) ?? '').length > max) return `${field} can not be longer than ${max} characters.`;
  const tags = body['tags'];
  if (
    tags !== undefined &&
    (!Array.isArray(tags) || tags.length > OPSGENIE_LIMITS.tags || tags.some((tag) => typeof tag !== 'string' || tag.length > OPSGENIE_LIMITS.tag))
  )
    return 'Tags are invalid.';
  const details = body['details'];
  if (details !== undefined) {
    if (details === null || typeof details !== 'object' || Object.values(details).some((value) => typeof value !== 'string')) return 'Details are invalid.';
    if (detailsLength(details as Record<string, string>) > OPSGENIE_LIMITS.detailsTotal)
      return `Details can not be longer than ${OPSGENIE_LIMITS.detailsTotal} characters.`;
  }
  const priority = body['priority'];
  if (priority !== undefined && !(OPSGENIE_PRIORITIES as readonly unknown[]).includes(priority)) return 'Priority should be one of [P1, P2, P3, P4, P5].';
  return undefined;
}

export const opsgenieService: VendorService = {
  refusal(request) {
    const isCreate = request.path === CREATE_PATH;
    if (!isCreate && !CLOSE.test(request.path)) return error(404, 'Resource or handler not found.', request);
    const authorization = request.headers['authorization'];
    if (typeof authorization !== 'string' || !/^GenieKey \S+$/.test(authorization)) return error(401, 'apiKey is invalid or integration is disabled.', request);
    if (request.body === null || typeof request.body !== 'object') return undefined;
    const body = request.body as Record<string, unknown>;
    const problem = isCreate
      ? createProblem(body)
      : (text(body['note']) ?? '').length > OPSGENIE_LIMITS.note
        ? `Note can not be longer than ${OPSGENIE_LIMITS.note} characters.`
        : undefined;
    return problem === undefined ? undefined : error(422, problem, request);
  },
  accepted: (request) => jsonAnswer(202, { result: 'Request will be processed', took: 0.002, requestId: requestIdOf(request) }),
  incident(request) {
    if (request.path === CREATE_PATH) {
      const alias = text((request.body as Record<string, unknown> | undefined)?.['alias']);
      return alias === undefined ? undefined : { key: alias, action: 'open' };
    }
    const closed = CLOSE.exec(request.path)?.[1];
    return closed === undefined ? undefined : { key: decodeURIComponent(closed), action: 'close' };
  },
};
