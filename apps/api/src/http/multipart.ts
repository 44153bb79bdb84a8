import type { IncomingMessage } from 'node:http';
import { Busboy, type BusboyFileStream, type BusboyHeaders } from '@fastify/busboy';
import { AppError } from '@referloop/common';

/** What a multipart body may hold: parts in all, bytes per file, bytes per text field. */
export interface MultipartLimits {
  parts: number;
  fileSize: number;
  fieldSize: number;
}

/** A part as it begins: a file (with the name the client gave it) or a text field. */
export type PartHead = { kind: 'file'; field: string; fileName: string } | { kind: 'field'; field: string };

export type MultipartPart = (PartHead & { kind: 'file'; content: Buffer }) | (PartHead & { kind: 'field'; value: string });

/** Why a body was not read: not well-formed, more parts than allowed, or a text field too long. Callers say what they expect instead. */
export class MultipartRefused extends Error {
  constructor(readonly reason: 'malformed' | 'too_many_parts' | 'field_too_long') {
    super(`multipart body refused: ${reason}`);
  }
}

const MIB = 1024 * 1024;

/**
 * Reads a multipart/form-data body whole, each file into memory within `limits.fileSize`.
 *
 * `accept` sees each part as it begins and throws (an AppError naming the part) to refuse it. A
 * refused or too large body is still read to its end, parts discarded, before the promise settles:
 * the client gets its answer once it has sent what it started, as it would from any other route.
 * A body cut short, or not multipart at all, is {@link MultipartRefused} `malformed`; an empty
 * body is an empty form.
 */
export function readMultipart(
  body: IncomingMessage,
  limits: MultipartLimits,
  accept: (part: PartHead, index: number) => void,
): Promise<MultipartPart[]> {
  return new Promise((resolve, reject) => {
    const parts: MultipartPart[] = [];
    let refusal: Error | undefined;
    let settled = false;
    let sawData = false;
    // Counted as parts begin (a file's stream ends after the next part may have begun), so parts keep their order.
    let begun = 0;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      body.removeListener('close', onClose);
      const reason = error ?? refusal;
      if (reason) reject(reason);
      else resolve(parts);
    };
    // The first reason wins; the rest of the body is still drained through the parser.
    const refuse = (error: unknown) => {
      refusal ??= error instanceof Error ? error : new Error(String(error));
    };
    /** The part's index, or -1 once the body is refused. */
    const begin = (head: PartHead): number => {
      if (refusal) return -1;
      // A part without a name cannot be refused by name: the body is not one a client should send.
      if (!head.field) {
        refuse(new MultipartRefused('malformed'));
        return -1;
      }
      if (begun === limits.parts) {
        refuse(new MultipartRefused('too_many_parts'));
        return -1;
      }
      try {
        accept(head, begun);
        return begun++;
      } catch (error) {
        refuse(error);
        return -1;
      }
    };
    const onClose = () => {
      // Closed before its end: the client went away or sent less than it announced.
      if (!body.complete) settle(new MultipartRefused('malformed'));
    };

    let parser: InstanceType<typeof Busboy>;
    try {
      parser = new Busboy({
        headers: body.headers as BusboyHeaders,
        // One part more than allowed reaches `begin`, so that a caller refusing extra parts names the first one.
        limits: { parts: limits.parts + 1, fileSize: limits.fileSize, fieldSize: limits.fieldSize, headerPairs: 20 },
      });
    } catch {
      // No boundary, or not a multipart content type at all.
      body.resume();
      settle(new MultipartRefused('malformed'));
      return;
    }
    // Not well-formed, or cut short: nothing more is parsed; what is left of the body is discarded.
    const malformed = () => {
      body.unpipe(parser);
      body.resume();
      settle(new MultipartRefused('malformed'));
    };
    parser.on('file', (field: string, file: BusboyFileStream, fileName: string) => {
      // A part cut short errors on its stream (and an unheard 'error' would end the process).
      file.on('error', malformed);
      const index = begin({ kind: 'file', field, fileName });
      if (index < 0) {
        file.resume();
        return;
      }
      const chunks: Buffer[] = [];
      file.on('data', (chunk: Buffer) => chunks.push(chunk));
      file.on('limit', () => {
        chunks.length = 0;
        refuse(new AppError('payload_too_large', `The file is larger than ${limits.fileSize / MIB} MB`));
      });
      file.on('end', () => {
        if (!file.truncated) parts[index] = { kind: 'file', field, fileName, content: Buffer.concat(chunks) };
      });
    });
    parser.on('field', (field: string, value: string, _nameTruncated: boolean, valueTruncated: boolean) => {
      const index = begin({ kind: 'field', field });
      if (index < 0) return;
      if (valueTruncated) refuse(new MultipartRefused('field_too_long'));
      else parts[index] = { kind: 'field', field, value };
    });
    parser.on('partsLimit', () => refuse(new MultipartRefused('too_many_parts')));
    parser.on('finish', () => settle());
    parser.on('error', () => {
      // An empty body is an empty form, not a cut-short one.
      if (sawData) malformed();
      else settle();
    });
    body.once('data', () => {
      sawData = true;
    });
    body.on('close', onClose);
    body.pipe(parser);
  });
}

/**
 * Reads what is left of a body and drops it, then calls `then` (once, also when the client goes
 * away): a refusal is answered after the client has sent what it started, instead of the
 * connection being reset mid-upload with the answer unread.
 */
export function discardBody(body: IncomingMessage, then: () => void): void {
  let called = false;
  const once = () => {
    if (called) return;
    called = true;
    then();
  };
  body.once('end', once);
  body.once('close', once);
  body.resume();
}
