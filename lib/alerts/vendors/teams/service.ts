/**
 * What a Teams Workflows webhook accepts and answers, for the local sink and the conformance tests.
 * Teams refuses a message over 28 KB, counted in bytes: "max allowed size is 28672 bytes"
 * (MicrosoftDocs/msteams-docs#11274) and "Request Entity Too Large" (learn.microsoft.com/connectors/teams,
 * "Known issues and limitations"). The limit applies to properties Teams derives from the card, which
 * are larger than the request, so a body over it is refused for certain. Connector webhooks answer
 * 413 (msteams-docs#1810); a Workflows trigger accepts with 202 and the post fails in the flow run, a
 * silent loss, which the sink makes loud with the 413.
 */
import type { ServiceAnswer, ServiceRequest, VendorService } from '../vendor.js';
import { TEAMS_LIMITS } from './render.js';

export const teamsService: VendorService = {
  refusal(request: ServiceRequest): ServiceAnswer | undefined {
    const size = Buffer.byteLength(request.rawBody);
    if (size <= TEAMS_LIMITS.maxBytes) return undefined;
    return {
      status: 413,
      contentType: 'text/plain',
      text: `Request Entity Too Large: message size ${size} bytes, whereas max allowed size is ${TEAMS_LIMITS.maxBytes} bytes`,
    };
  },
  accepted: () => ({ status: 202, contentType: 'application/json', text: '' }),
};
