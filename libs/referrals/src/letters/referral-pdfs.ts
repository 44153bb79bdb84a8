import { EMERGENCY_RED_FLAGS } from '@referloop/common';
import type PDFDocumentClass from 'pdfkit';
import { type PdfFonts, pdfFontsFor } from './pdf-fonts';
import { breakLongWords, humanize, losesCharacters, printable } from './pdf-text';
import { type DocumentParty, progressReports, progressReportsLeftOut, type ReferralDocument } from './referral-document';

export const CONFIDENTIAL_FOOTER = 'Confidential health information';

/** The names a document's faces are registered under (./pdf-fonts.ts chooses them). */
const FONT = 'Body';
const BOLD = 'Bold';
const INK = '#1f2933';
const MUTED = '#52606d';
const URGENT = '#b42318';
const RULE = '#cbd2d9';
const MARGIN = 50;
const TOP = 90;
const BOTTOM = 70;
const LABEL_WIDTH = 140;

type Doc = PDFKit.PDFDocument;

/**
 * pdfkit (~20 MiB resident once loaded) is loaded by the first letter or report, not at start-up:
 * most API processes never render one.
 */
let pdfDocumentClass: Promise<typeof PDFDocumentClass> | undefined;
/** pdfkit, and the faces that print every character of `document` (./pdf-fonts.ts). */
async function loadPdfKit(document: ReferralDocument): Promise<{ PDFDocument: typeof PDFDocumentClass; fonts: PdfFonts }> {
  pdfDocumentClass ??= import('pdfkit').then((module) => module.default);
  const [PDFDocument, fonts] = await Promise.all([pdfDocumentClass, pdfFontsFor(JSON.stringify(document))]);
  return { PDFDocument, fonts };
}

const KIND: Record<string, string> = {
  injury_care: 'Injury care (massage therapist to physical therapist)',
  maintenance_massage: 'Maintenance massage (physical therapist to massage therapist)',
};
const ROLE: Record<string, string> = {
  massage_therapist: 'Licensed massage therapist',
  physical_therapist: 'Physical therapist',
};
const PRESSURE: Record<string, string> = { light: 'Light', moderate: 'Moderate', firm: 'Firm' };
const TOLERANCE: Record<string, string> = { well: 'Tolerated well', some_soreness: 'Some soreness', adverse: 'Adverse reaction' };

/** The events whose dates the outcome report lists (state changes, not notes or messages). */
const KEY_EVENTS: Record<string, string> = {
  created: 'Created',
  sent: 'Sent',
  acknowledged: 'Received',
  accepted: 'Accepted',
  scheduled: 'Appointment booked',
  rescheduled: 'Appointment moved',
  unscheduled: 'Appointment removed',
  care_started: 'Care started',
  outcome_sent: 'Outcome sent',
  closed: 'Closed',
  auto_closed: 'Closed automatically',
};

const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

/** A calendar date (YYYY-MM-DD) as "2 Dec 2026". */
function calendarDate(value: string): string {
  const date = new Date(`${value.slice(0, 10)}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? value : dateFormat.format(date);
}

/** An instant in the zone where it is read, with the zone named. */
function dateTime(value: string, timeZone: string): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  // With the offset: on the night clocks go back, 01:30 happens twice an hour apart (GMT-4, then GMT-5).
  const text = new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'shortOffset',
    timeZone,
  }).format(date);
  return `${text} (${timeZone})`;
}

const shortId = (id: string) => id.slice(0, 8);

/** The file name a PDF is served under: the referral's short id, never the patient's name. */
export function pdfFileName(kind: 'letter' | 'outcome', referralId: string): string {
  return `${kind === 'letter' ? 'referral' : 'outcome'}-${shortId(referralId)}.pdf`;
}

const list = (values: unknown): string[] => (Array.isArray(values) ? values.map((v) => String(v)) : []);
const present = (value: unknown) => value !== undefined && value !== null && value !== '';

/** A page layout with the running header and footer drawn once every page exists (for "Page n of m"). */
class Layout {
  readonly doc: Doc;

  constructor(
    { PDFDocument, fonts }: { PDFDocument: typeof PDFDocumentClass; fonts: PdfFonts },
    private readonly title: string,
    private readonly document: ReferralDocument,
    /** The clinic that sends this document, named in every page's header. */
    private readonly from: DocumentParty,
  ) {
    this.doc = new PDFDocument({
      size: 'A4',
      bufferPages: true,
      margins: { top: TOP, bottom: BOTTOM, left: MARGIN, right: MARGIN },
      info: { Title: `${title} ${shortId(document.referral.id)}`, Author: from.clinic.name, Creator: 'ReferLoop' },
    });
    this.covers = fonts.covers;
    this.doc.registerFont(FONT, fonts.regular);
    this.doc.registerFont(BOLD, fonts.bold);
    this.doc.fillColor(INK).font(FONT).fontSize(10);
  }

  /** Which characters the document's fonts draw. */
  private readonly covers: PdfFonts['covers'];

  /** Text as the fonts print it (see pdf-text.ts). */
  print(value: string): string {
    return printable(value, this.covers);
  }

  get width(): number {
    return this.doc.page.width - 2 * MARGIN;
  }

  /** Set once some text printed a character the PDF's fonts have no letter for (as "?"). */
  private lostCharacters = false;

  /** Text as the fonts print it, noting when a character was lost. */
  text(value: string, options: PDFKit.Mixins.TextOptions = {}, x?: number, y?: number): this {
    if (!this.lostCharacters && losesCharacters(value, this.covers)) this.lostCharacters = true;
    if (x === undefined) this.doc.text(breakLongWords(this.print(value)), options);
    else this.doc.text(breakLongWords(this.print(value)), x, y, options);
    return this;
  }

  /** Starts a new page when less than `height` points are left on this one. */
  keep(height: number): void {
    if (this.doc.y + height > this.doc.page.height - BOTTOM) this.doc.addPage();
  }

  heading(title: string): void {
    this.doc.moveDown(0.8);
    this.keep(60);
    this.doc.font(BOLD).fontSize(12).fillColor(INK);
    this.text(title, {}, MARGIN);
    const y = this.doc.y + 2;
    this.doc
      .moveTo(MARGIN, y)
      .lineTo(MARGIN + this.width, y)
      .lineWidth(0.5)
      .strokeColor(RULE)
      .stroke();
    this.doc.y = y + 6;
    this.doc.font(FONT).fontSize(10);
  }

  /** A label and its value side by side; a long value flows on to the next page. */
  field(label: string, value: string, options: { bold?: boolean; color?: string } = {}): void {
    const valueWidth = this.width - LABEL_WIDTH;
    this.doc.font(options.bold ? BOLD : FONT).fontSize(10);
    const height = this.doc.heightOfString(breakLongWords(this.print(value)), { width: valueWidth });
    this.keep(Math.min(height, 40));
    const top = this.doc.y;
    const page = this.doc.page;
    this.doc.font(BOLD).fillColor(MUTED);
    this.text(label, { width: LABEL_WIDTH - 10 }, MARGIN, top);
    const labelBottom = this.doc.y;
    this.doc.font(options.bold ? BOLD : FONT).fillColor(options.color ?? INK);
    this.text(value, { width: valueWidth }, MARGIN + LABEL_WIDTH, top);
    if (this.doc.page === page) this.doc.y = Math.max(labelBottom, this.doc.y);
    this.doc.font(FONT).fillColor(INK);
    this.doc.moveDown(0.25);
  }

  optionalField(label: string, value: unknown, format: (value: never) => string = String): void {
    if (present(value)) this.field(label, format(value as never));
  }

  paragraph(value: string): void {
    this.keep(30);
    this.doc.font(FONT).fontSize(10).fillColor(INK);
    this.text(value, { width: this.width }, MARGIN);
    this.doc.moveDown(0.4);
  }

  bullets(items: { text: string; note?: string; color?: string }[]): void {
    for (const item of items) {
      this.keep(30);
      this.doc.font(BOLD).fillColor(item.color ?? INK);
      this.text(`•  ${item.text}`, { width: this.width }, MARGIN);
      if (item.note) {
        this.doc.font(FONT).fillColor(item.color ?? INK);
        this.text(item.note, { width: this.width - 14 }, MARGIN + 14);
      }
      this.doc.fillColor(INK).font(FONT);
      this.doc.moveDown(0.2);
    }
  }

  /** Title block: what this is, the reference, the date, and (for a letter) an urgent banner. */
  titleBlock(options: { urgentBanner: boolean }): void {
    const { referral, generatedAt } = this.document;
    this.doc.font(BOLD).fontSize(18).fillColor(INK);
    this.text(this.title, {}, MARGIN, TOP);
    this.doc.font(FONT).fontSize(9).fillColor(MUTED);
    this.text(`Reference ${shortId(referral.id)}  ·  Printed ${dateTime(generatedAt.toISOString(), this.from.clinic.timezone)}`, {
      width: this.width,
    });
    this.doc.fillColor(INK).fontSize(10);
    // A draft printed for a look before sending must not pass for a referral that was made.
    if (referral.status === 'draft') {
      this.doc.moveDown(0.4);
      this.doc.font(BOLD).fillColor(URGENT);
      this.text('DRAFT: not sent. This referral has not been made yet.', { width: this.width });
      this.doc.font(FONT).fillColor(INK);
    }
    if (options.urgentBanner && referral.priority === 'urgent') {
      this.doc.moveDown(0.6);
      const y = this.doc.y;
      this.doc.rect(MARGIN, y, this.width, 26).fill(URGENT);
      this.doc.font(BOLD).fontSize(13).fillColor('#ffffff');
      this.text('URGENT REFERRAL', { width: this.width, align: 'center' }, MARGIN, y + 7);
      this.doc.y = y + 26;
      this.doc.font(FONT).fontSize(10).fillColor(INK);
    }
  }

  /** The two parties side by side. */
  parties(): void {
    const { sender, recipient } = this.document;
    this.doc.moveDown(1);
    this.keep(110);
    const top = this.doc.y;
    const column = (this.width - 20) / 2;
    const block = (heading: string, name: string, lines: (string | null)[], x: number) => {
      this.doc.font(BOLD).fontSize(9).fillColor(MUTED);
      this.text(heading.toUpperCase(), { width: column }, x, top);
      this.doc.font(BOLD).fontSize(11).fillColor(INK);
      this.text(name, { width: column });
      this.doc.font(FONT).fontSize(10);
      for (const line of lines) if (line) this.text(line, { width: column });
      return this.doc.y;
    };
    const partyLines = (party: DocumentParty) => {
      const c = party.clinic;
      return [
        ROLE[party.role] ?? humanize(party.role),
        party.licenceNumber ? `Licence ${party.licenceNumber}${party.licenceRegion ? ` (${party.licenceRegion})` : ''}` : null,
        c.name,
        c.addressLine1,
        `${c.city}, ${c.region} ${c.postalCode}`,
        c.country,
        `Phone ${c.phone}`,
      ];
    };
    const left = block('Referred by', sender.fullName, partyLines(sender), MARGIN);
    const invitee = recipient ? null : this.document.invitee;
    const right = recipient
      ? block('Referred to', recipient.fullName, partyLines(recipient), MARGIN + column + 20)
      : block(
          'Referred to',
          invitee?.fullName ?? 'Not named yet',
          [invitee?.role ? (ROLE[invitee.role] ?? humanize(invitee.role)) : null, invitee?.email ?? null, 'Not yet on ReferLoop'],
          MARGIN + column + 20,
        );
    this.doc.y = Math.max(left, right);
    this.doc.x = MARGIN;
  }

  patient(): void {
    const { patient } = this.document;
    this.heading('Patient');
    const name = `${patient.firstName} ${patient.lastName}`;
    this.field('Name', name, { bold: true });
    // A name's exact spelling identifies the patient: say when this PDF could not print it.
    if (this.print(name) !== name.normalize('NFC')) {
      this.field('', 'Some letters of this name cannot be printed here; the exact spelling is in ReferLoop.', { color: MUTED });
    }
    this.field('Date of birth', calendarDate(patient.dateOfBirth));
    this.optionalField('Phone', patient.phone);
    this.optionalField('Email', patient.email);
    this.field('Preferred contact', humanize(patient.preferredContact));
  }

  /** Draws the running header and footer on every page; call once the content is complete. */
  finish(): Promise<Buffer> {
    // Clinical text in a script these fonts lack (CJK, Arabic, Hebrew…) printed as "?": say so, so
    // that nobody treats from a letter with words missing.
    if (this.lostCharacters) {
      this.doc.moveDown(0.8);
      this.field(
        'Note',
        'Some characters of this document cannot be printed in this PDF and show as "?". The exact text is in ReferLoop.',
        { bold: true, color: URGENT },
      );
    }
    const { doc } = this;
    const chunks: Buffer[] = [];
    const done = new Promise<Buffer>((resolve, reject) => {
      doc.on('data', (chunk: Buffer) => chunks.push(chunk));
      doc.on('end', () => resolve(Buffer.concat(chunks)));
      doc.on('error', reject);
    });
    const range = doc.bufferedPageRange();
    const clinic = this.from.clinic;
    for (let i = range.start; i < range.start + range.count; i++) {
      doc.switchToPage(i);
      // Writing in the margins must not start new pages.
      const bottom = doc.page.margins.bottom;
      doc.page.margins.bottom = 0;
      const width = doc.page.width - 2 * MARGIN;
      doc.font(BOLD).fontSize(12).fillColor(INK);
      doc.text(this.print(clinic.name), MARGIN, 32, { width, lineBreak: false });
      doc.font(FONT).fontSize(8.5).fillColor(MUTED);
      doc.text(
        this.print(`${clinic.addressLine1}, ${clinic.city}, ${clinic.region} ${clinic.postalCode}  ·  Phone ${clinic.phone}`),
        MARGIN,
        49,
        { width, lineBreak: false },
      );
      doc
        .moveTo(MARGIN, 64)
        .lineTo(MARGIN + width, 64)
        .lineWidth(0.75)
        .strokeColor(RULE)
        .stroke();
      const footerY = doc.page.height - 45;
      doc
        .moveTo(MARGIN, footerY - 8)
        .lineTo(MARGIN + width, footerY - 8)
        .lineWidth(0.5)
        .strokeColor(RULE)
        .stroke();
      doc.font(BOLD).fontSize(8.5).fillColor(MUTED);
      doc.text(CONFIDENTIAL_FOOTER, MARGIN, footerY, { width: width / 2, lineBreak: false });
      doc.font(FONT);
      doc.text(`Page ${i - range.start + 1} of ${range.count}`, MARGIN + width / 2, footerY, {
        width: width / 2,
        align: 'right',
        lineBreak: false,
      });
      doc.page.margins.bottom = bottom;
    }
    doc.end();
    return done;
  }
}

function planLines(plan: Record<string, unknown>): [string, string][] {
  const lines: [string, string][] = [];
  const known = new Set<string>();
  const add = (key: string, label: string, format: (value: unknown) => string) => {
    known.add(key);
    if (present(plan[key]) && !(Array.isArray(plan[key]) && (plan[key] as unknown[]).length === 0)) {
      lines.push([label, format(plan[key])]);
    }
  };
  add('frequencyWeeks', 'Frequency', (v) => (Number(v) === 1 ? 'Every week' : `Every ${String(v)} weeks`));
  add('sessionsPerWeek', 'Frequency', (v) => `${String(v)} per week`);
  add('sessions', 'Sessions', String);
  add('durationWeeks', 'Duration', (v) => `${String(v)} weeks`);
  add('reviewBy', 'Review by', (v) => calendarDate(String(v)));
  add('focusAreas', 'Focus areas', (v) => list(v).map(humanize).join(', '));
  add('pressure', 'Pressure', (v) => PRESSURE[String(v)] ?? humanize(String(v)));
  add('goals', 'Goals', (v) => list(v).join('\n'));
  add('contraindications', 'Contraindications', (v) => list(v).map(humanize).join(', '));
  add('precautions', 'Precautions', String);
  add('reportEveryWeeks', 'Progress reports', (v) => `Every ${String(v)} weeks`);
  // Fields this file does not know yet still print, readably.
  for (const [key, value] of Object.entries(plan)) {
    if (known.has(key) || !present(value)) continue;
    const label = humanize(key.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase());
    lines.push([label, Array.isArray(value) ? list(value).join(', ') : JSON.stringify(value).replace(/^"|"$/g, '')]);
  }
  return lines;
}

/** The referral letter: parties, patient, the referral's clinical content, plan and attachments. */
export async function renderReferralLetter(document: ReferralDocument): Promise<Buffer> {
  const { referral, attachments } = document;
  const layout = new Layout(await loadPdfKit(document), 'Referral letter', document, document.sender);
  layout.titleBlock({ urgentBanner: true });
  layout.parties();
  layout.patient();

  layout.heading('Referral');
  layout.field('Kind', KIND[referral.kind] ?? humanize(referral.kind));
  layout.field('Priority', referral.priority === 'urgent' ? 'URGENT' : humanize(referral.priority), {
    bold: referral.priority === 'urgent',
    color: referral.priority === 'urgent' ? URGENT : undefined,
  });
  layout.optionalField('Sent', referral.sent_at, (v: string) => dateTime(v, document.sender.clinic.timezone));
  // Shown where it happens: the treating clinic's zone.
  if (referral.appointment_at && document.recipient) {
    layout.field('Appointment', dateTime(referral.appointment_at, document.recipient.clinic.timezone));
  }
  layout.field('Reason', referral.reason);
  if (referral.body_regions.length) layout.field('Body regions', referral.body_regions.map(humanize).join(', '));
  layout.optionalField('Pain level', referral.pain_level, (v: number) => `${v} / 10`);
  layout.optionalField('Onset', referral.onset_date, calendarDate);
  layout.optionalField('Needed by', referral.needed_by, calendarDate);

  if (referral.observations) {
    layout.heading('Observations');
    layout.paragraph(referral.observations);
  }

  if (referral.red_flags.length) {
    layout.heading('Red flags');
    const adviceGiven = referral.emergency_advice_given === true;
    layout.bullets(
      referral.red_flags.map((flag) =>
        (EMERGENCY_RED_FLAGS as readonly string[]).includes(flag)
          ? {
              text: `${humanize(flag)} (emergency sign)`,
              note:
                'Possible cauda equina syndrome or deep vein thrombosis: the client needs emergency care now.' +
                (adviceGiven ? ' The sender recorded that the client was told to seek emergency care.' : ''),
              color: URGENT,
            }
          : { text: humanize(flag) },
      ),
    );
  }

  if (referral.plan) {
    layout.heading('Maintenance plan');
    for (const [label, value] of planLines(referral.plan)) layout.field(label, value);
  }

  layout.heading('Attachments');
  if (attachments.length === 0) layout.paragraph('None.');
  else layout.bullets(attachments.map((a) => ({ text: a.fileName, note: `${a.contentType}, ${formatSize(a.sizeBytes)}` })));
  return layout.finish();
}

/** The outcome report: parties, patient, outcome, measures, progress reports and key dates. */
export async function renderOutcomeReport(document: ReferralDocument): Promise<Buffer> {
  const { referral } = document;
  // The outcome comes from the clinic that treated the patient (always an account by then).
  const treatedBy = document.recipient ?? document.sender;
  const outcome = referral.outcome ?? {};
  const zone = treatedBy.clinic.timezone;
  const layout = new Layout(await loadPdfKit(document), 'Outcome report', document, treatedBy);
  layout.titleBlock({ urgentBanner: false });
  layout.parties();
  layout.patient();

  layout.heading('Outcome');
  layout.optionalField('Sent', outcome.sentAt, (v: string) => dateTime(v, zone));
  layout.field('Kind', KIND[referral.kind] ?? humanize(referral.kind));
  layout.field('Referred for', referral.reason);
  layout.field('Summary', typeof outcome.summary === 'string' ? outcome.summary : '');
  layout.optionalField('Recommendations', outcome.recommendations);
  if (typeof outcome.recommendMaintenance === 'boolean') {
    layout.field('Maintenance massage', outcome.recommendMaintenance ? 'Recommended' : 'Not recommended');
  }

  const measures: [string, string][] = [];
  if (present(referral.pain_level) || present(outcome.painLevel)) {
    const at = (v: unknown) => (present(v) ? `${String(v)} / 10` : 'not recorded');
    measures.push(['Pain', `${at(referral.pain_level)} at referral, ${at(outcome.painLevel)} at discharge`]);
  }
  if (present(outcome.psfs)) measures.push(['PSFS (0-10)', String(outcome.psfs)]);
  if (present(outcome.visits)) measures.push(['Visits', String(outcome.visits)]);
  if (measures.length) {
    layout.heading('Measures');
    for (const [label, value] of measures) layout.field(label, value);
  }

  const progress = progressReports(document);
  if (progress.length) {
    layout.heading('Progress reports');
    const leftOut = progressReportsLeftOut(document);
    if (leftOut > 0) {
      layout.paragraph(
        `The latest ${progress.length} of ${progress.length + leftOut} progress reports; the earlier ones are in ReferLoop.`,
      );
    }
    layout.bullets(
      progress.map((report) => {
        const parts = [
          present(report.sessionsCompleted)
            ? `${String(report.sessionsCompleted)} ${report.sessionsCompleted === 1 ? 'session' : 'sessions'} completed`
            : null,
          present(report.painLevel) ? `pain ${String(report.painLevel)} / 10` : null,
          present(report.psfs) ? `PSFS ${String(report.psfs)}` : null,
          present(report.tolerance) ? (TOLERANCE[String(report.tolerance)] ?? humanize(String(report.tolerance))) : null,
        ].filter((p): p is string => p !== null);
        return {
          text: present(report.reportedAt) ? dateTime(String(report.reportedAt), zone) : 'Progress report',
          note: [parts.join(', '), present(report.note) ? String(report.note) : ''].filter(Boolean).join('\n'),
        };
      }),
    );
  }

  const dates = document.timeline.filter((event) => KEY_EVENTS[event.type]);
  if (dates.length) {
    layout.heading('Key dates');
    for (const event of dates) {
      // A booking's line is dated when it was made; the appointment it made is said too.
      const appointment = event.data?.appointmentAt;
      const booked = typeof appointment === 'string' ? `, for ${dateTime(appointment, zone)}` : '';
      layout.field(KEY_EVENTS[event.type], `${dateTime(event.occurredAt, zone)}${booked}`);
    }
  }
  return layout.finish();
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
