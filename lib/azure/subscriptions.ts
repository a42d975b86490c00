import { SubscriptionClient } from '@azure/arm-resources-subscriptions';
import type { TokenCredential } from '@azure/core-auth';

import type { AzureTarget } from '../config.js';
import { toFleetGuardError } from '../errors.js';
import { armClientOptions, armScope, type RetrySettings } from './clientOptions.js';

/** Discovers the subscriptions the identity can read. */
export class SubscriptionsAdapter {
  private readonly client: SubscriptionClient;

  constructor(credential: TokenCredential, target: AzureTarget, retry: RetrySettings) {
    this.client = new SubscriptionClient(credential, { ...armClientOptions(target, retry), credentialScopes: [armScope(target)] });
  }

  /** Ids (lower case) of the enabled subscriptions; disabled and deleted ones cannot be swept. */
  async listEnabledSubscriptionIds(): Promise<string[]> {
    const ids: string[] = [];
    try {
      for await (const subscription of this.client.subscriptions.list()) {
        const state = (subscription.state ?? 'Enabled').toLowerCase();
        if (subscription.subscriptionId !== undefined && (state === 'enabled' || state === 'pastdue' || state === 'warned')) {
          ids.push(subscription.subscriptionId.toLowerCase());
        }
      }
    } catch (error) {
      throw toFleetGuardError(error, 'listing subscriptions');
    }
    return ids;
  }
}
