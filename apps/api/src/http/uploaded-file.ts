import type { IncomingMessage } from 'node:http';
import { Injectable } from '@nestjs/common';
import { AppError, Slots } from '@referloop/common';
import { MAX_ATTACHMENT_BYTES } from '@referloop/referrals';
import type { FastifyRequest } from 'fastify';
import { MultipartRefused, readMultipart } from './multipart';
import { unsupportedMediaType } from './problem';

/** Two parts are read so that a part besides the file is seen and refused by name, not silently dropped. */
const UPLOAD_LIMITS = { parts: 2, fileSize: MAX_ATTACHMENT_BYTES, fieldSize: 1024 };

/**
 * How many uploads one API process reads and stores at once. Each holds its file about three times
 * over meanwhile (its parts, the file, the message to the database): 16 uploads of 9.5 MB at once
 * took the process from 164 to 478 MiB, 4 at a time to 294 MiB, and no slower (the database writes
 * them one after another anyway). The others wait their turn, their bytes unread in the network.
 */
export const UPLOADS_AT_ONCE = 4;

/** The upload route's slots: see {@link UPLOADS_AT_ONCE}. */
@Injectable()
export class UploadSlots extends Slots {
  constructor() {
    super(UPLOADS_AT_ONCE);
  }
}

/** Requests to the upload route whose multipart body the content-type parser left for {@link uploadedFile}. */
const unreadUploads = new WeakSet<IncomingMessage>();

/** Called by the multipart content-type parser: this request's body is the upload's to read. */
export function leaveForUpload(request: FastifyRequest): void {
  unreadUploads.add(request.raw);
}

/**
 * The one file of a multipart upload (field `file`), read whole, at most MAX_ATTACHMENT_BYTES (413
 * past it). Any other part (a second file, a text field) is refused with 400 naming it, never
 * dropped. A body that is not well-formed multipart (no boundary, a broken part header, cut short)
 * is the client's mistake, a 400.
 */
export async function uploadedFile(request: FastifyRequest): Promise<{ fileName: string; content: Buffer }> {
  if (!unreadUploads.has(request.raw))
    throw unsupportedMediaType('Content-Type', 'Send the file as multipart/form-data, field "file"');
  let parts;
  try {
    parts = await readMultipart(request.raw, UPLOAD_LIMITS, (part, index) => {
      if (index > 0 || part.kind !== 'file' || part.field !== 'file') {
        throw AppError.validation([{ field: part.field, message: 'is not accepted: send one part, the file, named "file"' }]);
      }
    });
  } catch (error) {
    if (error instanceof MultipartRefused) {
      throw AppError.validation([{ field: 'file', message: 'must be sent as a well-formed multipart/form-data body' }]);
    }
    throw error;
  }
  const [upload] = parts;
  if (upload?.kind !== 'file') throw AppError.validation([{ field: 'file', message: 'is required' }]);
  return { fileName: upload.fileName, content: upload.content };
}
