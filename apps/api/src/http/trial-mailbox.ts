import { isIP } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@referloop/config';
import { escapeHtml, type TrialMail, TrialMailbox } from '@referloop/notifications';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const TRIAL_MAILBOX_PAGE = '/trial/mailbox';
export const TRIAL_MAILBOX_API = '/api/v1/trial/mailbox';
const STYLESHEET = '/trial/mailbox.css';

/**
 * The trial mailbox (embedded default without SMTP_URL): the emails the app would have sent, as JSON
 * and as a page. Its mails may hold patient data, so only the machine itself sees them: a request
 * whose TCP peer is not a loopback address is answered like an unknown route (X-Forwarded-For and
 * any proxy setting are ignored on purpose). In server mode nothing here is registered.
 */
export function mountTrialMailbox(app: NestFastifyApplication, config: AppConfig): void {
  if (!config.notifications.trialMailbox) return;
  const mailbox = new TrialMailbox(config.dataDir);
  const fastify = app.getHttpAdapter().getInstance();
  const localOnly = (handler: (reply: FastifyReply) => unknown) => (request: FastifyRequest, reply: FastifyReply) =>
    isLoopback(request.raw.socket.remoteAddress) ? handler(reply) : reply.callNotFound();

  fastify.get(
    TRIAL_MAILBOX_API,
    localOnly((reply) => reply.header('cache-control', 'no-store').send({ items: mailbox.list(), nextCursor: null })),
  );
  fastify.get(
    TRIAL_MAILBOX_PAGE,
    localOnly((reply) =>
      reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(mailboxPage(mailbox.list(), mailbox.dir)),
    ),
  );
  fastify.get(
    STYLESHEET,
    localOnly((reply) => reply.type('text/css; charset=utf-8').send(MAILBOX_CSS)),
  );
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return address === '::1';
}

/** Escaped text with its http(s) links made clickable (the invitation link is what a trial user wants). */
const withLinks = (text: string) => escapeHtml(text).replace(/https?:\/\/[^\s<>"]+/g, (url) => `<a href="${url}">${url}</a>`);

export function mailboxPage(mails: TrialMail[], dir: string): string {
  const items = mails
    .map(
      (mail) => `<li><article aria-labelledby="mail-${escapeHtml(mail.id)}">
<h2 id="mail-${escapeHtml(mail.id)}">${escapeHtml(mail.subject)}</h2>
<dl><dt>To</dt><dd>${escapeHtml(mail.to)}</dd><dt>Received</dt><dd><time datetime="${escapeHtml(mail.createdAt)}">${escapeHtml(mail.createdAt)}</time></dd></dl>
<pre>${withLinks(mail.text)}</pre>
</article></li>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Trial mailbox — ReferLoop</title>
<link rel="stylesheet" href="${STYLESHEET}">
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
</head>
<body>
<main>
<h1>Trial mailbox</h1>
<p class="notice"><strong>Emails are not sent in trial mode.</strong> Every email ReferLoop would send (invitations,
password resets, patient emails) lands here instead. Only this computer can open this page. The mails are kept in
<code>${escapeHtml(dir)}</code>. Set <code>SMTP_URL</code> to send real email.</p>
<p><a href="/">Back to ReferLoop</a></p>
${mails.length ? `<ol class="mails">\n${items}\n</ol>` : '<p>No emails yet.</p>'}
</main>
</body>
</html>
`;
}

const MAILBOX_CSS = `body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fff}
main{max-width:48rem;margin:0 auto;padding:1rem}
.notice{background:#fff4d6;border:1px solid #8a6100;padding:.75rem;border-radius:.25rem}
.mails{list-style:none;padding:0}
article{border:1px solid #767676;border-radius:.25rem;padding:.75rem;margin:1rem 0}
h2{font-size:1.125rem;margin:0 0 .5rem}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem .75rem;margin:0 0 .5rem}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
pre{white-space:pre-wrap;overflow-wrap:anywhere;font:inherit;margin:0}
a{color:#0645ad}
`;
