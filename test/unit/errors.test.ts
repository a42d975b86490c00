import { RestError } from '@azure/core-rest-pipeline';
import { describe, expect, it } from 'vitest';

import { FleetGuardError, reasonFromStatus, toFleetGuardError } from '../../lib/errors.js';

describe('errors', () => {
  it.each([
    [400, 'clientError', false],
    [401, 'authError', false],
    [403, 'authError', false],
    [404, 'clientError', false],
    [409, 'clientError', false],
    [429, 'rateLimited', true],
    [500, 'serverError', true],
    [503, 'serverError', true],
  ] as const)('HTTP %i is %s (retryable: %s)', (status, reason, retryable) => {
    expect(reasonFromStatus(status)).toBe(reason);
    expect(new FleetGuardError(reasonFromStatus(status), 'x').retryable).toBe(retryable);
  });

  it('maps an SDK RestError with its status and the service code', () => {
    const error = toFleetGuardError(
      new RestError('The client does not have authorization', { statusCode: 403, code: 'AuthorizationFailed' }),
      'listing clusters of s1',
    );
    expect(error.reason).toBe('authError');
    expect(error.status).toBe(403);
    expect(error.message).toBe('listing clusters of s1: HTTP 403 AuthorizationFailed: The client does not have authorization');
  });

  it('maps network failures to a retryable server error', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(toFleetGuardError(cause, 'x')).toMatchObject({ reason: 'serverError', message: 'x: ECONNREFUSED connect ECONNREFUSED 127.0.0.1:1' });
  });

  it('keeps an existing FleetGuardError as it is', () => {
    const original = new FleetGuardError('badInput', 'bad');
    expect(toFleetGuardError(original, 'ctx')).toBe(original);
  });
});
