import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';

import type { AzureTarget } from '../config.js';

/**
 * A fixed bearer token for the local simulator, which accepts any non-empty token. Never used
 * against Azure: `createCredential` only returns it for a `simulator` target.
 */
export class SimulatorCredential implements TokenCredential {
  getToken(): Promise<AccessToken> {
    return Promise.resolve({ token: 'fleetguard-simulator-token', expiresOnTimestamp: Date.now() + 3_600_000 });
  }
}

/**
 * DefaultAzureCredential, built on the first token request: `@azure/identity` (MSAL and its
 * dependencies) is the largest single cost of loading the Functions entry (cold start), and no
 * token is needed until the first SDK call.
 */
class DeferredDefaultCredential implements TokenCredential {
  private credential: Promise<TokenCredential> | undefined;

  constructor(private readonly managedIdentityClientId: string | undefined) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    this.credential ??= import('@azure/identity').then(
      ({ DefaultAzureCredential }) =>
        new DefaultAzureCredential(this.managedIdentityClientId === undefined ? {} : { managedIdentityClientId: this.managedIdentityClientId }),
      (error: unknown) => {
        this.credential = undefined;
        throw error;
      },
    );
    return (await this.credential).getToken(scopes, options);
  }
}

/** Real Azure: DefaultAzureCredential (the user-assigned managed identity in the Function App). */
export function createCredential(target: AzureTarget): TokenCredential {
  if (target.kind === 'simulator') return new SimulatorCredential();
  return new DeferredDefaultCredential(target.managedIdentityClientId);
}
