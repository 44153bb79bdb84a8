import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppError, type Principal } from '@referloop/common';
import { AuditLog } from '@referloop/identity';
import { DataSource } from 'typeorm';
import { partiesOfRow } from './referral-access';
import { type AttachmentView } from './referral.views';
import { ReferralsService } from './referrals.service';

export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

/** Recognises the allowed formats by their first bytes; the file name and declared type are not trusted. */
export function sniffContentType(head: Buffer): 'application/pdf' | 'image/png' | 'image/jpeg' | null {
  if (head.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'image/jpeg';
  return null;
}

/** Keeps a file name printable and short; it is shown to people, never used as a path. */
export function safeFileName(name: string | undefined): string {
  const cleaned = (name ?? '')
    .normalize('NFC')
    // Control characters are exactly what this strips.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f"\\/]/g, '_')
    .trim()
    .slice(0, 200);
  return cleaned || 'attachment';
}

export interface DownloadedAttachment {
  fileName: string;
  contentType: string;
  content: Buffer;
}

@Injectable()
export class AttachmentsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly referrals: ReferralsService,
    private readonly audit: AuditLog,
  ) {}

  /** Adds a file to a draft, on the sender's side. Once sent, attachments are frozen. */
  async upload(principal: Principal, referralId: string, fileName: string | undefined, content: Buffer): Promise<AttachmentView> {
    return this.db.transaction(async (tx) => {
      const base = await this.referrals.visibleBase(principal, referralId, tx, 'attachment.upload');
      // Lock the referral so a concurrent send cannot slip between the check and the insert.
      const [locked]: { status: string }[] = await tx.query(`SELECT status FROM referrals WHERE id = $1 FOR UPDATE`, [
        referralId,
      ]);
      if (!partiesOfRow(principal, base).includes('sender')) {
        throw new AppError('forbidden', 'Only the sender side adds attachments');
      }
      if (locked.status !== 'draft') throw new AppError('attachments_frozen', 'Attachments are frozen once the referral is sent');
      const contentType = sniffContentType(content);
      if (!contentType) {
        throw new AppError('unsupported_media_type', 'Attachments must be PDF, PNG or JPEG (recognised by content)', {
          errors: [{ field: 'file', message: 'is not a PDF, PNG or JPEG file' }],
        });
      }
      const sha256 = createHash('sha256').update(content).digest('hex');
      const [row]: Record<string, unknown>[] = await tx.query(
        `INSERT INTO referral_attachments (referral_id, file_name, content_type, size_bytes, sha256, content, uploaded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, created_at`,
        [referralId, safeFileName(fileName), contentType, content.length, sha256, content, principal.userId],
      );
      await tx.query(`UPDATE referrals SET updated_at = now() WHERE id = $1`, [referralId]);
      await this.audit.record(
        { action: 'attachment.upload', resourceType: 'referral', resourceId: referralId, details: { attachmentId: row.id } },
        tx,
      );
      return {
        id: row.id as string,
        referralId,
        fileName: safeFileName(fileName),
        contentType,
        sizeBytes: content.length,
        sha256,
        uploadedBy: principal.userId,
        createdAt: (row.created_at as Date).toISOString(),
      };
    });
  }

  async download(principal: Principal, referralId: string, attachmentId: string): Promise<DownloadedAttachment> {
    await this.referrals.visibleBase(principal, referralId, this.db.manager, 'attachment.download');
    const [row]: { file_name: string; content_type: string; content: Buffer }[] = await this.db.query(
      `SELECT file_name, content_type, content FROM referral_attachments WHERE id = $1 AND referral_id = $2`,
      [attachmentId, referralId],
    );
    if (!row) throw new AppError('not_found', 'The attachment was not found');
    await this.audit.record({
      action: 'attachment.download',
      resourceType: 'referral',
      resourceId: referralId,
      details: { attachmentId },
    });
    return { fileName: row.file_name, contentType: row.content_type, content: row.content };
  }
}
