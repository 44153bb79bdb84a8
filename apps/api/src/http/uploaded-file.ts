import { AppError } from '@referloop/common';
import type { FastifyRequest } from 'fastify';
import { isFastifyError, unsupportedMediaType } from './problem';

/**
 * The one file of a multipart upload (field `file`), read whole, within the limits the multipart
 * plugin is registered with. Any other part (a second file, a text field) is refused with 400 naming
 * it, never dropped. Fastify's multipart errors (too large) keep their own answers; anything else the
 * parser throws means the body is not well-formed multipart (no boundary, a broken part header, cut
 * short): the client's mistake, a 400.
 */
export async function uploadedFile(request: FastifyRequest): Promise<{ fileName: string; content: Buffer }> {
  if (!request.isMultipart()) throw unsupportedMediaType('Content-Type', 'Send the file as multipart/form-data, field "file"');
  let upload: { fileName: string; content: Buffer } | undefined;
  try {
    for await (const part of request.parts()) {
      if (upload || part.type !== 'file' || part.fieldname !== 'file') {
        throw AppError.validation([{ field: part.fieldname, message: 'is not accepted: send one part, the file, named "file"' }]);
      }
      upload = { fileName: part.filename, content: await part.toBuffer() };
    }
  } catch (error) {
    if (error instanceof AppError || isFastifyError(error)) throw error;
    throw AppError.validation([{ field: 'file', message: 'must be sent as a well-formed multipart/form-data body' }]);
  }
  if (!upload) throw AppError.validation([{ field: 'file', message: 'is required' }]);
  return upload;
}
