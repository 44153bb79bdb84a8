import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { DELIVERY_HEADER, SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from './webhook-signature';
import { checkWebhookUrl, type ResolveHost, resolveHost, resolvePublic, webhookHost, webhookLookup } from './webhook-target';

export interface WebhookMessage {
  url: string;
  secret: string;
  deliveryId: string;
  /** Ids and codes only (no PHI). */
  payload: Record<string, unknown>;
}

/** Provider of the host resolver webhooks connect through (tests replace it to play a rebinding DNS). */
export const WEBHOOK_RESOLVER = Symbol('WEBHOOK_RESOLVER');

/**
 * POSTs a signed JSON body; only a 2xx answer within the timeout counts as delivered. The socket
 * connects only to addresses checked in the same DNS resolution (webhookLookup), never to a
 * second answer; redirects are not followed. Errors say what failed without addresses.
 */
@Injectable()
export class WebhookChannel {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Optional() @Inject(WEBHOOK_RESOLVER) private readonly resolve: ResolveHost = resolveHost,
  ) {}

  async send(message: WebhookMessage): Promise<void> {
    const url = new URL(message.url);
    const { allowListed } = checkWebhookUrl(url, this.config.notifications.webhookAllowedHosts);
    // An address literal is connected to without a lookup, so it is checked here.
    if (!allowListed && isIP(webhookHost(url))) await resolvePublic(webhookHost(url), this.resolve);
    const body = JSON.stringify(message.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const status = await post(url, body, {
      headers: {
        'content-type': 'application/json',
        'user-agent': 'ReferLoop-Webhooks/1',
        [SIGNATURE_HEADER]: signWebhook(message.secret, body, timestamp),
        [TIMESTAMP_HEADER]: String(timestamp),
        [DELIVERY_HEADER]: message.deliveryId,
      },
      lookup: allowListed ? undefined : webhookLookup(this.resolve),
      timeoutMs: this.config.notifications.webhookTimeoutMs,
    });
    if (status < 200 || status >= 300) throw new Error(`webhook answered HTTP ${status}`);
  }
}

/** One POST; resolves with the answer's status (its body is discarded). */
function post(
  url: URL,
  body: string,
  options: { headers: Record<string, string>; lookup?: LookupFunction; timeoutMs: number },
): Promise<number> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method: 'POST',
        headers: { ...options.headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: options.lookup,
        signal,
      },
      (response: IncomingMessage) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (signal.aborted) reject(new Error(`webhook did not answer within ${options.timeoutMs} ms`));
      else if (error.name === 'WebhookTargetError') reject(error);
      // Socket errors name the address they failed on: keep the code only.
      else reject(new Error(`webhook request failed (${error.code ?? 'network error'})`));
    });
    request.end(body);
  });
}
