/**
 * A generic webhook receiver as the local sink plays it: any JSON accepted with 200 `{}`. What a
 * real receiver does with the signature is up to it (see `verifyWebhookSignature` in render.ts).
 */
import { jsonAnswer, type VendorService } from '../vendor.js';

export const webhookService: VendorService = {
  refusal: () => undefined,
  accepted: () => jsonAnswer(200, {}),
};
