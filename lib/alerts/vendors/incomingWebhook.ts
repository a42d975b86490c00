/**
 * What the vendors that post to a secret incoming-webhook URL share (Slack, Teams): the URL is read
 * from the app setting `webhookUrlSetting`, its host must be one of the vendor's own, the URL is the
 * only secret, and the body goes as rendered. Each vendor adds its renderer, limits and guarantee.
 */
import type { Secret } from '../../secret.js';
import { type AlertVendor, receiverEntry, settingName } from './vendor.js';

export interface IncomingWebhookEntry<Type extends string> {
  name: string;
  type: Type;
  webhookUrlSetting: string;
}

export interface IncomingWebhookReceiver<Type extends string> {
  name: string;
  type: Type;
  url: Secret;
}

type SharedParts<Type extends string> = Pick<
  AlertVendor<Type, IncomingWebhookEntry<Type>, IncomingWebhookReceiver<Type>>,
  'name' | 'schema' | 'receiver' | 'destination' | 'endpoints' | 'request' | 'secrets'
>;

/** The shared parts of an incoming-webhook vendor whose URLs may name only `hosts` (exact names or `*.example.com`). */
export function incomingWebhookVendor<Type extends string>(type: Type, hosts: readonly string[]): SharedParts<Type> {
  return {
    name: type,
    schema: receiverEntry(type, { webhookUrlSetting: settingName }),
    receiver: (entry, secret) => ({ name: entry.name, type, url: secret(entry.webhookUrlSetting) }),
    destination: {
      kind: 'configuredUrl',
      setting: (entry) => entry.webhookUrlSetting,
      url: (receiver) => receiver.url,
      allowedHosts: () => hosts,
      hostNotAllowed: (allowed) => `host is not one of ${allowed.join(', ')}`,
    },
    endpoints: Object.fromEntries(hosts.map((host) => [host, `https://${host}`])),
    request: (message, receiver) => ({ url: receiver.url.reveal(), body: message.body, headers: {} }),
    secrets: (receiver) => [receiver.url],
  };
}
