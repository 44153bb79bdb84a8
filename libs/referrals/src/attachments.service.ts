import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { AppError, Clock, type Principal } from '@referloop/common';
import { AuditLog } from '@referloop/identity';
import { partiesOf, partyClinicsOf } from './referral-access';
import { type AttachmentView } from './referral.views';
import { ReferralsService } from './referrals.service';
import { allowedActions, TERMINAL_STATUSES } from './state-machine/referral-state-machine';
import { ReferralActivityStore } from './store/activity-store';
import { ReferralStore } from './store/referral-store';

const MIB = 1024 * 1024;
export const MAX_ATTACHMENT_BYTES = 10 * MIB;

/**
 * What one referral holds at most: a few scans is the usual. Files live in PostgreSQL, so without
 * a bound one party could fill the clinic's database through one referral.
 */
export const MAX_ATTACHMENTS_PER_REFERRAL = 30;
export const MAX_REFERRAL_ATTACHMENT_BYTES = 100 * MIB;

export type AttachmentType = 'application/pdf' | 'image/png' | 'image/jpeg';

/** Recognises the allowed formats by their first bytes; the file name and declared type are not trusted. */
export function sniffContentType(head: Buffer): AttachmentType | null {
  if (head.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  return null;
}

/** The extensions each type may keep (any case); the first is given to a name without one of them. */
const EXTENSIONS: Record<AttachmentType, string[]> = {
  'application/pdf': ['.pdf'],
  'image/png': ['.png'],
  'image/jpeg': ['.jpg', '.jpeg'],
};

/**
 * Control characters (C0, DEL, C1) and Unicode format characters (\p{Cf}: bidi marks, embeddings,
 * overrides and isolates, zero-width characters…), which can make a name read as something it is
 * not (`report\u202Egnp.exe` shows as `reportexe.png`).
 */
const INVISIBLE = /[\p{Cc}\p{Cf}]/gu;

/**
 * The name an attachment is stored and served under: printable, short, never a path, and ending in
 * the extension of its detected type (a PDF uploaded as `scan.html` is `scan.pdf`).
 */
export function attachmentFileName(name: string | undefined, type: AttachmentType): string {
  const cleaned = (name ?? '')
    .normalize('NFC')
    .replace(INVISIBLE, '')
    .replace(/["\\/]/g, '_')
    .trim();
  const dot = cleaned.lastIndexOf('.');
  const extension = dot >= 0 ? cleaned.slice(dot) : '';
  const kept = EXTENSIONS[type].includes(extension.toLowerCase());
  // Cut at 190 UTF-16 units, without keeping half of a character made of two (an emoji, a rare
  // CJK letter): PostgreSQL stores a lone half as U+FFFD, so the name showed a replacement character.
  const stem =
    (dot >= 0 ? cleaned.slice(0, dot) : cleaned)
      .trim()
      .slice(0, 190)
      .replace(/\p{Cs}$/u, '') || 'attachment';
  return `${stem}${kept ? extension : EXTENSIONS[type][0]}`;
}

/**
 * Content-Disposition for a download: `filename` is an ASCII fallback (anything else, and quotes,
 * replaced) for old clients, `filename*` the exact UTF-8 name (RFC 6266, RFC 8187).
 */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** How much of a file a download reads at a time: memory per download, against round trips per file. */
export const DOWNLOAD_SLICE_BYTES = 1024 * 1024;

export interface DownloadedAttachment {
  fileName: string;
  contentType: string;
  sizeBytes: number;
  /** The bytes, read from the database slice by slice as the client takes them. */
  content: Readable;
}

@Injectable()
export class AttachmentsService {
  constructor(
    private readonly store: ReferralActivityStore,
    private readonly referralStore: ReferralStore,
    private readonly referrals: ReferralsService,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
  ) {}

  /**
   * Adds a file. To a draft: the sender side only. After sending, while the referral is open: either
   * side, recorded on the timeline (`document_added`, with `addedAfterSend: true`) and told to the
   * other side. What was attached before sending stays as it is once sent (see `remove`). The same
   * content again (a double click, a retry) answers the attachment already there (`created: false`),
   * with no second row, event or notification.
   */
  async upload(
    principal: Principal,
    referralId: string,
    fileName: string | undefined,
    content: Buffer,
  ): Promise<{ attachment: AttachmentView; created: boolean }> {
    return this.referralStore.transaction(async (tx) => {
      const base = await this.referrals.visibleBase(principal, referralId, tx, 'attachment.upload');
      // Lock the referral so a concurrent send cannot slip between the check and the insert.
      const locked = await this.store.lockForUpload(tx, referralId);
      const parties = partiesOf(principal, base);
      const afterSend = locked.sentAt !== null;
      if (!afterSend && !parties.includes('sender')) throw new AppError('forbidden', 'Only the sender side adds attachments');
      // Nothing is added once the referral has ended, sent or not (a cancelled draft included).
      if (TERMINAL_STATUSES.includes(locked.status)) {
        throw new AppError('invalid_transition', `Documents cannot be added while the referral is ${locked.status}`, {
          currentStatus: locked.status,
          allowedActions: allowedActions(locked.status, parties),
        });
      }
      const contentType = sniffContentType(content);
      if (!contentType) {
        throw new AppError('unsupported_media_type', 'Attachments must be PDF, PNG or JPEG (recognised by content)', {
          errors: [{ field: 'file', message: 'is not a PDF, PNG or JPEG file' }],
        });
      }
      const sha256 = createHash('sha256').update(content).digest('hex');
      // Under the referral's lock: of two uploads of one file at once, the second finds the first's.
      const existing = await this.store.attachmentWithContent(tx, referralId, sha256);
      if (existing) return { attachment: existing, created: false };
      const held = await this.store.attachmentTotals(tx, referralId);
      if (held.count >= MAX_ATTACHMENTS_PER_REFERRAL || held.bytes + content.length > MAX_REFERRAL_ATTACHMENT_BYTES) {
        const most = `${MAX_ATTACHMENTS_PER_REFERRAL} attachments or ${MAX_REFERRAL_ATTACHMENT_BYTES / MIB} MB`;
        throw new AppError('payload_too_large', `A referral holds at most ${most} of them together`, {
          errors: [{ field: 'file', message: `would take the referral past ${most}` }],
        });
      }
      const storedName = attachmentFileName(fileName, contentType);
      const now = this.clock.now();
      const row = await this.store.insertAttachment(
        tx,
        {
          referralId,
          fileName: storedName,
          contentType,
          content,
          sha256,
          uploadedBy: principal.userId,
          addedAfterSend: afterSend,
        },
        now,
      );
      // After sending, the timeline shows it (`document_added`) and the other side is told (outbox).
      if (afterSend) await this.store.documentAdded(tx, referralId, locked.status, principal.userId, row.id);
      await this.audit.record(
        {
          by: principal,
          action: 'attachment.upload',
          resourceType: 'referral',
          resourceId: referralId,
          details: { attachmentId: row.id },
          occurredAt: now,
        },
        tx,
      );
      const attachment: AttachmentView = {
        id: row.id,
        referralId,
        fileName: storedName,
        contentType,
        sizeBytes: content.length,
        sha256,
        uploadedBy: principal.userId,
        uploadedByName: row.uploadedByName,
        createdAt: row.createdAt.toISOString(),
        addedAfterSend: afterSend,
      };
      return { attachment, created: true };
    });
  }

  /**
   * Takes a file off a draft: the sender side, before sending. Once the referral is sent, what it
   * carries is frozen (422 `attachments_frozen`), documents added after sending included: the
   * recipient may already have read them.
   */
  async remove(principal: Principal, referralId: string, attachmentId: string): Promise<void> {
    await this.referralStore.transaction(async (tx) => {
      const base = await this.referrals.visibleBase(principal, referralId, tx, 'attachment.remove');
      // Under the referral's lock: a send cannot slip between the check and the removal.
      const locked = await this.store.lockForUpload(tx, referralId);
      if (!(await this.store.hasAttachment(tx, referralId, attachmentId))) {
        throw new AppError('not_found', 'The attachment was not found');
      }
      if (locked.sentAt !== null) {
        throw new AppError('attachments_frozen', 'Attachments cannot be removed once the referral is sent');
      }
      const parties = partiesOf(principal, base);
      if (!parties.includes('sender')) throw new AppError('forbidden', 'Only the sender side removes attachments');
      if (TERMINAL_STATUSES.includes(locked.status)) {
        throw new AppError('invalid_transition', `Documents cannot be removed while the referral is ${locked.status}`, {
          currentStatus: locked.status,
          allowedActions: allowedActions(locked.status, parties),
        });
      }
      const now = this.clock.now();
      await this.store.removeAttachment(tx, referralId, attachmentId, now);
      await this.audit.record(
        {
          by: principal,
          action: 'attachment.remove',
          resourceType: 'referral',
          resourceId: referralId,
          details: { attachmentId },
          occurredAt: now,
        },
        tx,
      );
    });
  }

  async download(principal: Principal, referralId: string, attachmentId: string): Promise<DownloadedAttachment> {
    const base = await this.referrals.visibleBase(principal, referralId, this.referralStore.manager, 'attachment.download');
    const file = await this.store.attachment(referralId, attachmentId);
    if (!file) throw new AppError('not_found', 'The attachment was not found');
    await this.audit.record({
      by: principal,
      action: 'attachment.download',
      resourceType: 'referral',
      resourceId: referralId,
      details: { attachmentId },
      partyClinics: partyClinicsOf(base),
    });
    const { store } = this;
    const size = file.sizeBytes;
    async function* slices(): AsyncGenerator<Buffer> {
      for (let offset = 0; offset < size; offset += DOWNLOAD_SLICE_BYTES) {
        const slice = await store.attachmentBytes(attachmentId, offset, DOWNLOAD_SLICE_BYTES);
        // Removed while it was being sent: the answer ends short of its Content-Length, an error to the client.
        if (!slice) throw new Error('the attachment was removed during its download');
        yield slice;
      }
    }
    return { ...file, content: Readable.from(slices(), { objectMode: false }) };
  }
}
