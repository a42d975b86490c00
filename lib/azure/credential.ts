import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';

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

/** Real Azure: DefaultAzureCredential (the user-assigned managed identity in the Function App). */
export function createCredential(target: AzureTarget): TokenCredential {
  if (target.kind === 'simulator') return new SimulatorCredential();
  return new DefaultAzureCredential(
    target.managedIdentityClientId === undefined ? {} : { managedIdentityClientId: target.managedIdentityClientId },
  );
}
