import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';

import type { AzureTarget } from '../config.js';

/**
 * The bearer token the simulator credential issues for a scope. Like an Entra token's `aud`, the
 * audience is part of it, so the simulator's Kubernetes API stand-in accepts only a token asked for
 * the AKS Entra server application, as an AKS API server does; ARM in the simulator accepts any.
 */
export function simulatorToken(scopes: string | string[]): string {
  const scope = Array.isArray(scopes) ? scopes.join(' ') : scopes;
  return `fleetguard-simulator-token.${Buffer.from(scope).toString('base64url')}`;
}

/**
 * A bearer token for the local simulator, naming the scope it was asked for. Never used against
 * Azure: `createCredential` only returns it for a `simulator` target.
 */
export class SimulatorCredential implements TokenCredential {
  getToken(scopes: string | string[]): Promise<AccessToken> {
    return Promise.resolve({ token: simulatorToken(scopes), expiresOnTimestamp: Date.now() + 3_600_000 });
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
