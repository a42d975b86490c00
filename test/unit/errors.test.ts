import { RestError } from '@azure/core-rest-pipeline';
import { AggregateAuthenticationError, AuthenticationError, CredentialUnavailableError } from '@azure/identity';
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

describe('credential failures', () => {
  it('are reason authentication (not retried), whichever @azure/identity error says no token could be had', () => {
    const errors = [
      new CredentialUnavailableError('ChainedTokenCredential authentication failed.\nCredentialUnavailableError: Azure CLI could not be found.'),
      new AggregateAuthenticationError(
        [new CredentialUnavailableError('EnvironmentCredential is unavailable.')],
        'ChainedTokenCredential authentication failed.',
      ),
      new AuthenticationError(400, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' }),
    ];
    for (const error of errors) {
      const mapped = toFleetGuardError(error, 'listing subscriptions');
      expect(mapped.reason).toBe('authentication');
      expect(mapped.retryable).toBe(false);
      expect(mapped.message).toMatch(/^listing subscriptions: /);
    }
  });
});
