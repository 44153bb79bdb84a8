import { AppError } from '@referloop/common';
import type { FastifyRequest } from 'fastify';

/**
 * The one file of a multipart upload (field `file`), read whole. Fastify's multipart errors (too
 * large, too many parts) keep their own answers; anything else the parser throws means the body is
 * not well-formed multipart (no boundary, a broken part header, cut short): the client's mistake, a 400.
 */
export async function uploadedFile(request: FastifyRequest, maxBytes: number): Promise<{ fileName: string; content: Buffer }> {
  if (!request.isMultipart()) throw new AppError('unsupported_media_type', 'Send the file as multipart/form-data, field "file"');
  try {
    const part = await request.file({ limits: { fileSize: maxBytes, files: 1 } });
    if (!part || part.fieldname !== 'file') throw AppError.validation([{ field: 'file', message: 'is required' }]);
    return { fileName: part.filename, content: await part.toBuffer() };
  } catch (error) {
    if (error instanceof AppError || isFastifyError(error)) throw error;
    throw AppError.validation([{ field: 'file', message: 'must be sent as a well-formed multipart/form-data body' }]);
  }
}

const isFastifyError = (error: unknown): boolean =>
  typeof (error as { code?: unknown })?.code === 'string' && (error as { code: string }).code.startsWith('FST_');
