import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { createTransport, type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { TrialMailbox } from './trial-mailbox';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  /** The same message as HTML (sent as multipart/alternative with the text). */
  html?: string;
  /** RFC 8058 one-click unsubscribe: the URL that a POST of `List-Unsubscribe=One-Click` revokes. */
  unsubscribeUrl?: string;
  /** Stable per delivery, so a receiving system can drop a duplicate after a crash-retry. */
  messageId: string;
}

/**
 * SMTP email. Without SMTP_URL: the trial mailbox on the embedded default, otherwise off (and says
 * so at start-up).
 */
@Injectable()
export class EmailChannel implements OnModuleDestroy {
  private readonly logger = new Logger('EmailChannel');
  private readonly transport?: Transporter;
  private readonly mailbox?: TrialMailbox;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const url = config.notifications.smtpUrl;
    if (url) {
      // Pooled: a connection per message (connect, greeting, EHLO … QUIT) halved the worker's throughput under load.
      this.transport = createTransport({
        url,
        pool: true,
        maxConnections: 5,
        maxMessages: 500,
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 20_000,
      } as SMTPTransport.Options);
    } else if (config.notifications.trialMailbox) {
      this.mailbox = new TrialMailbox(config.dataDir);
      this.logger.log('SMTP_URL is not set: emails go to the trial mailbox (not sent), shown at /trial/mailbox');
    } else {
      this.logger.warn('SMTP_URL is not set: the email channel is off (in-app and webhooks still work)');
    }
  }

  get enabled(): boolean {
    return this.transport !== undefined || this.mailbox !== undefined;
  }

  async send(message: EmailMessage): Promise<void> {
    const from = this.config.notifications.emailFrom;
    const messageId = `<${message.messageId}@referloop>`;
    const unsubscribe: Record<string, string> = message.unsubscribeUrl
      ? { 'List-Unsubscribe': `<${message.unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }
      : {};
    if (this.mailbox) {
      // A repeat of a delivery id stores nothing, as a receiver drops a repeated Message-ID.
      this.mailbox.deliver({
        id: message.messageId,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        headers: { From: from, To: message.to, Subject: message.subject, 'Message-ID': messageId, ...unsubscribe },
      });
      return;
    }
    if (!this.transport) throw new Error('email channel is off');
    try {
      await this.transport.sendMail({
        from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        messageId,
        headers: unsubscribe,
      });
    } catch (error) {
      throw sendFailure(error);
    }
  }

  onModuleDestroy(): void {
    this.transport?.close();
  }
}

/**
 * A send the receiving side refused for good (SMTP 5xx: no such mailbox, rejected): trying again
 * gets the same answer, so the delivery fails at once instead of after every retry.
 */
export class PermanentSendError extends Error {}

/**
 * What a failed send records (the delivery's last error, the queue's failed reason): codes only.
 * SMTP answers quote the recipient ("550 <jamie@example.com>: Recipient address rejected"),
 * and a recipient may be a patient.
 */
function sendFailure(error: unknown): Error {
  const { code, responseCode } = (error ?? {}) as { code?: unknown; responseCode?: unknown };
  const codes = [code, responseCode].filter((c) => typeof c === 'string' || typeof c === 'number');
  const message = codes.length > 0 ? `email not sent (${codes.join(' ')})` : 'email not sent';
  // 4xx (and no answer at all: a refused connection, a timeout) may pass; 5xx will not.
  return typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600
    ? new PermanentSendError(message)
    : new Error(message);
}
