import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { AppError } from '@referloop/common';
import { type MultipartLimits, MultipartRefused, type PartHead, readMultipart } from './multipart';

const BOUNDARY = 'zz';
const LIMITS: MultipartLimits = { parts: 2, fileSize: 16, fieldSize: 8 };

const filePart = (field: string, fileName: string, content: string) =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${field}"; filename="${fileName}"\r\nContent-Type: application/pdf\r\n\r\n${content}\r\n`;
const fieldPart = (field: string, value: string) =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${field}"\r\n\r\n${value}\r\n`;
const form = (...parts: string[]) => `${parts.join('')}--${BOUNDARY}--\r\n`;

/** A request body as the HTTP server hands it over: a stream with headers, `complete` once all of it arrived. */
function requestOf(body: string, contentType = `multipart/form-data; boundary=${BOUNDARY}`, arrives = true) {
  const stream = new PassThrough() as PassThrough & { headers: Record<string, string>; complete: boolean };
  stream.headers = { 'content-type': contentType };
  stream.complete = false;
  stream.on('end', () => {
    stream.complete = arrives;
  });
  if (arrives) stream.end(body);
  else {
    stream.write(body);
    // The client goes away mid-body.
    setImmediate(() => stream.destroy());
  }
  return stream as unknown as IncomingMessage & PassThrough;
}

const acceptAll = () => undefined;

describe('readMultipart', () => {
  it('reads files and fields whole, in order', async () => {
    const parts = await readMultipart(
      requestOf(form(filePart('file', 'a.pdf', '%PDF-1.4'), fieldPart('note', 'hi'))),
      LIMITS,
      acceptAll,
    );
    expect(parts).toEqual([
      { kind: 'file', field: 'file', fileName: 'a.pdf', content: Buffer.from('%PDF-1.4') },
      { kind: 'field', field: 'note', value: 'hi' },
    ]);
  });

  it('numbers parts as they begin, so a second file is seen as the second part', async () => {
    const seen: [PartHead, number][] = [];
    await readMultipart(
      requestOf(form(filePart('file', 'a.pdf', 'a'), filePart('file', 'b.pdf', 'b'))),
      LIMITS,
      (part, index) => {
        seen.push([part, index]);
      },
    );
    expect(seen.map(([part, index]) => [part.field, index])).toEqual([
      ['file', 0],
      ['file', 1],
    ]);
  });

  it('refuses with what accept throws, after reading the body to its end', async () => {
    const body = requestOf(form(filePart('file', 'a.pdf', 'a'), fieldPart('note', 'hi')));
    const refusal = AppError.validation([{ field: 'note', message: 'is not accepted' }]);
    await expect(
      readMultipart(body, LIMITS, (part) => {
        if (part.field === 'note') throw refusal;
      }),
    ).rejects.toBe(refusal);
    expect(body.readableEnded).toBe(true);
  });

  it('takes a file of exactly fileSize bytes and answers 413 past it', async () => {
    const exact = await readMultipart(requestOf(form(filePart('file', 'a.pdf', 'x'.repeat(16)))), LIMITS, acceptAll);
    expect(exact).toEqual([expect.objectContaining({ content: Buffer.from('x'.repeat(16)) })]);
    const over = readMultipart(requestOf(form(filePart('file', 'a.pdf', 'x'.repeat(17)))), LIMITS, acceptAll);
    await expect(over).rejects.toMatchObject({ code: 'payload_too_large' });
  });

  it.each([
    ['more parts than allowed', form(fieldPart('a', '1'), fieldPart('b', '2'), fieldPart('c', '3')), 'too_many_parts'],
    ['a field longer than allowed', form(fieldPart('a', '123456789')), 'field_too_long'],
    ['a body that is not multipart', 'xx', 'malformed'],
    [
      'a part cut short',
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF`,
      'malformed',
    ],
  ])('refuses %s', async (_label, body, reason) => {
    await expect(readMultipart(requestOf(body), LIMITS, acceptAll)).rejects.toEqual(
      new MultipartRefused(reason as MultipartRefused['reason']),
    );
  });

  it('refuses a content type without a boundary', async () => {
    await expect(readMultipart(requestOf('xx', 'multipart/form-data'), LIMITS, acceptAll)).rejects.toBeInstanceOf(
      MultipartRefused,
    );
  });

  it('refuses a body whose client went away before its end', async () => {
    const body = requestOf(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF`,
      undefined,
      false,
    );
    await expect(readMultipart(body, LIMITS, acceptAll)).rejects.toEqual(new MultipartRefused('malformed'));
  });

  it('refuses a part without a name, which could not be refused by name', async () => {
    const nameless = `--${BOUNDARY}\r\nContent-Disposition: form-data; filename="x.png"\r\n\r\nx\r\n--${BOUNDARY}--\r\n`;
    await expect(readMultipart(requestOf(nameless), LIMITS, acceptAll)).rejects.toEqual(new MultipartRefused('malformed'));
  });

  it('hands accept the first part past the limit, so a caller names it', async () => {
    const seen: string[] = [];
    const body = requestOf(form(fieldPart('a', '1'), fieldPart('b', '2'), fieldPart('c', '3')));
    const refusal = AppError.validation([{ field: 'b', message: 'is not accepted' }]);
    const read = readMultipart(body, LIMITS, (part, index) => {
      seen.push(part.field);
      if (index > 0) throw refusal;
    });
    await expect(read).rejects.toBe(refusal);
    expect(seen).toEqual(['a', 'b']);
  });

  it('skips a part whose header is no header (no Content-Disposition at all)', async () => {
    const body = requestOf(`--${BOUNDARY}\r\nContent-Disposition\r\n\r\nx\r\n--${BOUNDARY}--\r\n`);
    await expect(readMultipart(body, LIMITS, acceptAll)).resolves.toEqual([]);
  });

  it('reads an empty body as an empty form', async () => {
    await expect(readMultipart(requestOf(''), LIMITS, acceptAll)).resolves.toEqual([]);
  });
});
