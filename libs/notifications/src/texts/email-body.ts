/** One email in both forms a mail client may show: plain text and HTML (escaped). */
export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** A block of an email: a paragraph, or a link with its words. */
export type EmailBlock = string | { link: string; label: string };

/**
 * Builds the text and HTML forms of an email from the same blocks, so they always say the same;
 * the clinic's name heads both. A link stands on a line of its own (whole, for mail clients that
 * make links of text, and unbroken by the transfer encoding's line length).
 */
export function emailContent(subject: string, clinic: string, blocks: EmailBlock[]): EmailContent {
  const text = [clinic, ...blocks.map((b) => (typeof b === 'string' ? b : `${b.label}:\n${b.link}`))].join('\n\n') + '\n';
  const paragraphs = blocks.map((b) =>
    typeof b === 'string'
      ? `<p>${escapeHtml(b).replace(/\n/g, '<br>\n')}</p>`
      : `<p><a href="${escapeHtml(b.link)}">${escapeHtml(b.label)}</a></p>`,
  );
  const html = [
    '<!doctype html>',
    '<html lang="en">',
    `<head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>`,
    '<body>',
    `<p><strong>${escapeHtml(clinic)}</strong></p>`,
    ...paragraphs,
    '</body>',
    '</html>',
  ].join('\n');
  return { subject, text, html: `${html}\n` };
}

/**
 * A date and time as the clinic reads it, its zone named: "Tuesday, December 1, 2026 at 10:00 AM
 * MST" (an appointment, a link's deadline).
 */
export function zonedWhen(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', {
    weekday: 'long',
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
    timeZone,
  }).format(at);
}
