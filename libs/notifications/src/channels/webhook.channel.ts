import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { DELIVERY_HEADER, SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from './webhook-signature';
import { assertWebhookTarget } from './webhook-target';

export interface WebhookMessage {
  url: string;
  secret: string;
  deliveryId: string;
  /** Ids and codes only (no PHI). */
  payload: Record<string, unknown>;
}

/** POSTs a signed JSON body; only a 2xx answer within the timeout counts as delivered. */
@Injectable()
export class WebhookChannel {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async send(message: WebhookMessage): Promise<void> {
    const url = new URL(message.url);
    await assertWebhookTarget(url, this.config.notifications.webhookAllowedHosts);
    const body = JSON.stringify(message.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const response = await fetch(url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(this.config.notifications.webhookTimeoutMs),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'ReferLoop-Webhooks/1',
        [SIGNATURE_HEADER]: signWebhook(message.secret, body, timestamp),
        [TIMESTAMP_HEADER]: String(timestamp),
        [DELIVERY_HEADER]: message.deliveryId,
      },
      body,
    });
    await response.body?.cancel();
    if (response.status < 200 || response.status >= 300) throw new Error(`webhook answered HTTP ${response.status}`);
  }
}
