import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@referloop/config';
import { createTransport, type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  /** Stable per delivery, so a receiving system can drop a duplicate after a crash-retry. */
  messageId: string;
}

/** SMTP email. Off (and says so at start-up) when SMTP_URL is not set. */
@Injectable()
export class EmailChannel implements OnModuleDestroy {
  private readonly logger = new Logger('EmailChannel');
  private readonly transport?: Transporter;

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
    } else {
      this.logger.warn('SMTP_URL is not set: the email channel is off (in-app and webhooks still work)');
    }
  }

  get enabled(): boolean {
    return this.transport !== undefined;
  }

  async send(message: EmailMessage): Promise<void> {
    if (!this.transport) throw new Error('email channel is off');
    try {
      await this.transport.sendMail({
        from: this.config.notifications.emailFrom,
        to: message.to,
        subject: message.subject,
        text: message.text,
        messageId: `<${message.messageId}@referloop>`,
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
 * What a failed send records (the delivery's last error, the queue's failed reason): codes only.
 * SMTP answers quote the recipient ("550 <jamie@example.com>: Recipient address rejected"),
 * and a recipient may be a patient.
 */
function sendFailure(error: unknown): Error {
  const { code, responseCode } = (error ?? {}) as { code?: unknown; responseCode?: unknown };
  const codes = [code, responseCode].filter((c) => typeof c === 'string' || typeof c === 'number');
  return new Error(codes.length > 0 ? `email not sent (${codes.join(' ')})` : 'email not sent');
}
