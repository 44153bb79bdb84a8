import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { UploadSlots, UPLOADS_AT_ONCE } from '../apps/api/src/http/uploaded-file';
import {
  actionBody,
  actOk,
  countRows,
  createPatient,
  createReferral,
  injuryReferralBody,
  someoneWaitsOnALock,
} from './support/referral-helpers';
import { eventually } from './support/sinks';
import {
  addPractitioner,
  expectProblem,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from './support/test-app';

const MB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Tiny files that are what they claim by their first bytes. */
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n',
  'latin1',
);
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from('\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0', 'latin1'),
]);
const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  Buffer.from('\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0', 'latin1'),
  Buffer.from([0xff, 0xd9]),
]);
const TEXT = Buffer.from('Just some notes, not a PDF at all.\n');

/** A PDF of exactly `bytes` bytes (header, then padding). */
const pdfOfSize = (bytes: number) => Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(bytes - 9, 0x20)]);

/** Attachments: PDF, PNG or JPEG up to 10 MB, recognised by content; a draft's can be taken off, frozen once the referral is sent. */
describe('referral attachments', () => {
  let t: TestApp;
  let sql: Client;
  let massageClinic: TestClinic;
  let ptClinic: TestClinic;
  let outsiderClinic: TestClinic;
  let lmt: SignedInUser;
  let pt: SignedInUser;
  let outsider: SignedInUser;
  let patientId: string;

  const upload = (user: SignedInUser, referralId: string, content: Buffer, fileName: string, contentType?: string) =>
    t.http
      .post(`/api/v1/referrals/${referralId}/attachments`)
      .set(user.auth)
      .attach('file', content, contentType ? { filename: fileName, contentType } : fileName);
  const newDraft = () => createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
  /** Reads a download into a Buffer whatever its content type; a problem+json answer is parsed as JSON. */
  const download = (user: SignedInUser, referralId: string, attachmentId: string) =>
    t.http
      .get(`/api/v1/referrals/${referralId}/attachments/${attachmentId}`)
      .set(user.auth)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks);
          const json = /json/.test(String(res.headers['content-type']));
          done(null, json ? JSON.parse(raw.toString('utf8')) : raw);
        });
      });

  beforeAll(async () => {
    t = await startTestApp();
    sql = new Client({ connectionString: t.database.url });
    await sql.connect();
    massageClinic = await registerClinic(t.http, { name: 'Sunrise Massage' });
    ptClinic = await registerClinic(t.http, { name: 'Capitol Physio' });
    outsiderClinic = await registerClinic(t.http, { name: 'Elsewhere Physio' });
    lmt = await addPractitioner(t.http, massageClinic, 'massage_therapist');
    pt = await addPractitioner(t.http, ptClinic, 'physical_therapist');
    outsider = await addPractitioner(t.http, outsiderClinic, 'physical_therapist');
    patientId = (await createPatient(t.http, lmt)).id;
  });
  afterAll(async () => {
    await sql.end();
    await t.close();
  });

  it.each([
    ['a PDF', PDF, 'imaging-report.pdf', 'application/pdf'],
    ['a PNG', PNG, 'posture.png', 'image/png'],
    ['a JPEG', JPEG, 'swelling.jpg', 'image/jpeg'],
  ])('%s is stored with its sha256, size and detected content type', async (_label, content, fileName, contentType) => {
    const draft = await newDraft();
    const res = await upload(lmt, draft.id, content, fileName);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      referralId: draft.id,
      fileName,
      contentType,
      sizeBytes: content.length,
      sha256: sha256(content),
      uploadedBy: lmt.id,
      uploadedByName: (await t.http.get('/api/v1/me').set(lmt.auth).expect(200)).body.fullName,
      createdAt: expect.any(String),
      addedAfterSend: false,
    });
    const { rows } = await sql.query(`SELECT content, sha256, content_type FROM referral_attachments WHERE id = $1`, [
      res.body.id,
    ]);
    expect(rows).toHaveLength(1);
    expect(Buffer.compare(rows[0].content, content)).toBe(0);
    expect(rows[0]).toMatchObject({ sha256: sha256(content), content_type: contentType });
  });

  it('goes by content, not by name or declared type: a PNG named x.pdf is stored as image/png', async () => {
    const draft = await newDraft();
    const res = await upload(lmt, draft.id, PNG, 'x.pdf', 'application/pdf');
    expect(res.status).toBe(201);
    // …and named for what it is.
    expect(res.body).toMatchObject({ contentType: 'image/png', fileName: 'x.png' });
    const jpegAsPng = await upload(lmt, draft.id, JPEG, 'photo.png', 'image/png');
    expect(jpegAsPng.body.contentType).toBe('image/jpeg');
  });

  it('refuses a text file named x.pdf with 415 unsupported_media_type, storing nothing', async () => {
    const draft = await newDraft();
    for (const [content, name] of [
      [TEXT, 'x.pdf'],
      [Buffer.from('<html><script>alert(1)</script></html>'), 'scan.png'],
      [Buffer.from('PK\x03\x04zip'), 'report.jpg'],
      [Buffer.alloc(0), 'empty.pdf'],
    ] as const) {
      const res = await upload(lmt, draft.id, content, name, 'application/pdf');
      expectProblem(res, 415, 'unsupported_media_type');
    }
    expect(await countRows(sql, 'referral_attachments', 'referral_id = $1', [draft.id])).toBe(0);
  });

  it('takes a file of exactly 10 MB and refuses one byte more with 413 payload_too_large', async () => {
    const draft = await newDraft();
    const tooBig = await upload(lmt, draft.id, pdfOfSize(10 * MB + 1), 'big.pdf');
    expectProblem(tooBig, 413, 'payload_too_large');
    expect(await countRows(sql, 'referral_attachments', 'referral_id = $1', [draft.id])).toBe(0);

    const limit = pdfOfSize(10 * MB);
    const ok = await upload(lmt, draft.id, limit, 'limit.pdf');
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ sizeBytes: 10 * MB, sha256: sha256(limit) });
  });

  it('holds at most 30 attachments on a referral (413 payload_too_large naming file past that); one already there still answers', async () => {
    const draft = await newDraft();
    const files = Array.from({ length: 31 }, (_, i) => Buffer.concat([PDF, Buffer.from(`% file ${i}\n`)]));
    for (const file of files.slice(0, 30)) await upload(lmt, draft.id, file, 'scan.pdf').expect(201);
    const refused = await upload(lmt, draft.id, files[30], 'one-more.pdf');
    expectProblem(refused, 413, 'payload_too_large');
    expect(refused.body.errors).toEqual([{ field: 'file', message: expect.stringContaining('30 attachments') }]);
    expect(await countRows(sql, 'referral_attachments', 'referral_id = $1', [draft.id])).toBe(30);
    // A retry of a file it holds is no new attachment.
    await upload(lmt, draft.id, files[0], 'scan.pdf').expect(200);
  });

  it('holds at most 100 MB of attachments on a referral, counting each file whole', async () => {
    const draft = await newDraft();
    // What a referral already holds is read from each file's recorded size.
    await sql.query(
      `INSERT INTO referral_attachments (referral_id, file_name, content_type, size_bytes, sha256, content, uploaded_by, added_after_send)
       VALUES ($1, 'mri.pdf', 'application/pdf', $2, repeat('0', 64), '\\x00', $3, false)`,
      [draft.id, 100 * MB - 20, lmt.id],
    );
    expectProblem(await upload(lmt, draft.id, pdfOfSize(21), 'note.pdf'), 413, 'payload_too_large');
    await upload(lmt, draft.id, pdfOfSize(20), 'note.pdf').expect(201);
    expect(await countRows(sql, 'referral_attachments', 'referral_id = $1', [draft.id])).toBe(2);
  });

  it('refuses a request that is not multipart (415) or has no file field (400)', async () => {
    const draft = await newDraft();
    const json = await t.http
      .post(`/api/v1/referrals/${draft.id}/attachments`)
      .set(lmt.auth)
      .send({ file: PDF.toString('base64') });
    expectProblem(json, 415, 'unsupported_media_type');
    expect(json.body.errors).toEqual([{ field: 'Content-Type', message: expect.stringContaining('multipart/form-data') }]);
    const wrongField = await t.http
      .post(`/api/v1/referrals/${draft.id}/attachments`)
      .set(lmt.auth)
      .attach('document', PDF, 'a.pdf');
    expectProblem(wrongField, 400, 'validation_failed');
    expect(await countRows(sql, 'referral_attachments', 'referral_id = $1', [draft.id])).toBe(0);
  });

  it('refuses a part besides the file (a second file, a text field) with 400 naming it, storing nothing', async () => {
    const draft = await newDraft();
    const url = `/api/v1/referrals/${draft.id}/attachments`;
    const twoFiles = await t.http.post(url).set(lmt.auth).attach('file', PDF, 'a.pdf').attach('file', PDF, 'b.pdf');
    expectProblem(twoFiles, 400, 'validation_failed');
    expect(twoFiles.body.errors).toEqual([expect.objectContaining({ field: 'file' })]);
    const withNote = await t.http.post(url).set(lmt.auth).attach('file', PDF, 'a.pdf').field('note', 'hello');
    expectProblem(withNote, 400, 'validation_failed');
    expect(withNote.body.errors).toEqual([expect.objectContaining({ field: 'note' })]);
    const noteFirst = await t.http.post(url).set(lmt.auth).field('note', 'hello').attach('file', PDF, 'a.pdf');
    expectProblem(noteFirst, 400, 'validation_failed');
    expect(noteFirst.body.errors).toEqual([expect.objectContaining({ field: 'note' })]);
    expect(await countRows(sql, 'referral_attachments', 'referral_id = $1', [draft.id])).toBe(0);
    // Three parts: still one answer naming the first extra one.
    const three = await t.http.post(url).set(lmt.auth).attach('file', PDF, 'a.pdf').field('x', '1').field('y', '2');
    expectProblem(three, 400, 'validation_failed');
    expect(await countRows(sql, 'referral_attachments', 'referral_id = $1', [draft.id])).toBe(0);
    await t.http.post(url).set(lmt.auth).attach('file', PDF, 'a.pdf').expect(201);
  });

  it.each([
    ['no boundary', 'multipart/form-data', 'xx'],
    ['a body that is not multipart', 'multipart/form-data; boundary=zz', 'xx'],
    [
      'a part cut short',
      'multipart/form-data; boundary=zz',
      '--zz\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.4',
    ],
    ['a broken part header', 'multipart/form-data; boundary=zz', '--zz\r\nContent-Disposition\r\n\r\nx\r\n--zz--\r\n'],
  ])('answers a malformed multipart body (%s) with 400 naming file, storing nothing', async (_label, contentType, body) => {
    const draft = await newDraft();
    const res = await t.http
      .post(`/api/v1/referrals/${draft.id}/attachments`)
      .set(lmt.auth)
      .set('content-type', contentType)
      .send(body);
    expectProblem(res, 400, 'validation_failed');
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'file' })]);
    expect(await countRows(sql, 'referral_attachments', 'referral_id = $1', [draft.id])).toBe(0);
  });

  it('keeps a hostile file name printable and never uses it as a path', async () => {
    const draft = await newDraft();
    const res = await upload(lmt, draft.id, PDF, '../../etc/"passwd".pdf');
    expect(res.status).toBe(201);
    expect(res.body.fileName).not.toMatch(/[/\\"]/);
  });

  it('takes one file once: the same content again (a double click, a retry, another name) answers the attachment there', async () => {
    let draft = await newDraft();
    const first = (await upload(lmt, draft.id, PDF, 'report.pdf').expect(201)).body;
    const again = await upload(lmt, draft.id, PDF, 'report (1).pdf').expect(200);
    expect(again.body).toEqual(first);
    draft = await actOk(t.http, lmt, draft, 'send');
    // After sending, five at once from either side: one row, one document_added event, one notification.
    const answers = await Promise.all([lmt, pt, lmt, pt, lmt].map((user) => upload(user, draft.id, PNG, 'scan.png')));
    expect(answers.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(answers.map((r) => r.body.id)).size).toBe(1);
    expect(await countRows(sql, 'referral_attachments', 'referral_id = $1', [draft.id])).toBe(2);
    expect(await countRows(sql, 'referral_events', `referral_id = $1 AND type = 'document_added'`, [draft.id])).toBe(1);
    expect(await countRows(sql, 'outbox_events', `referral_id = $1 AND type = 'referral.document_added'`, [draft.id])).toBe(1);
    // The same file on another referral is that referral's own.
    const other = await newDraft();
    expect((await upload(lmt, other.id, PDF, 'report.pdf').expect(201)).body.id).not.toBe(first.id);
  });

  it('keeps what was attached before sending, adds later documents from either side, and the recipient downloads the exact bytes', async () => {
    let draft = await newDraft();
    const pdf = (await upload(lmt, draft.id, PDF, 'imaging-report.pdf').expect(201)).body;
    const png = (await upload(lmt, draft.id, PNG, 'posture.png').expect(201)).body;
    draft = await actOk(t.http, lmt, draft, 'send');

    // After sending, either side adds documents: each is on the timeline and marked as added after sending.
    const late = (await upload(lmt, draft.id, JPEG, 'late.jpg').expect(201)).body;
    const mine = (await upload(pt, draft.id, Buffer.concat([JPEG, Buffer.from('pt')]), 'mine.jpg').expect(201)).body;
    expect([late.addedAfterSend, mine.addedAfterSend]).toEqual([true, true]);
    expect(await countRows(sql, 'referral_attachments', 'referral_id = $1', [draft.id])).toBe(4);
    const detail = (await t.http.get(`/api/v1/referrals/${draft.id}`).set(lmt.auth).expect(200)).body;
    expect(detail.attachments.map((a: { id: string; addedAfterSend: boolean }) => [a.id, a.addedAfterSend])).toEqual([
      [pdf.id, false],
      [png.id, false],
      [late.id, true],
      [mine.id, true],
    ]);
    // Each names who added it, whatever their part in the referral later (a reassigned PT, an admin).
    const nameOf = async (user: SignedInUser) =>
      (await t.http.get('/api/v1/me').set(user.auth).expect(200)).body.fullName as string;
    const [lmtName, ptName] = [await nameOf(lmt), await nameOf(pt)];
    expect(detail.attachments.map((a: { uploadedByName: string }) => a.uploadedByName)).toEqual([
      lmtName,
      lmtName,
      lmtName,
      ptName,
    ]);
    expect(mine.uploadedByName).toBe(ptName);
    expect(
      detail.timeline
        .filter((e: { type: string }) => e.type === 'document_added')
        .map((e: { actorId: string; data: object }) => [e.actorId, e.data]),
    ).toEqual([
      [lmt.id, { attachmentId: late.id, addedAfterSend: true }],
      [pt.id, { attachmentId: mine.id, addedAfterSend: true }],
    ]);
    // Each is told to the other side (the outbox row, ids only; the worker's texts name clinics).
    expect(await countRows(sql, 'outbox_events', `referral_id = $1 AND type = 'referral.document_added'`, [draft.id])).toBe(2);

    const got = await download(pt, draft.id, pdf.id);
    expect(got.status).toBe(200);
    expect(got.headers['content-type']).toMatch(/^application\/pdf/);
    expect(got.headers['content-disposition']).toContain("filename*=UTF-8''imaging-report.pdf");
    expect(got.headers['cache-control']).toContain('no-store');
    expect(Buffer.compare(got.body as Buffer, PDF)).toBe(0);
    expect(sha256(got.body as Buffer)).toBe(pdf.sha256);

    const gotPng = await download(ptClinic.admin, draft.id, png.id);
    expect(gotPng.status).toBe(200);
    expect(gotPng.headers['content-type']).toMatch(/^image\/png/);
    expect(Buffer.compare(gotPng.body as Buffer, PNG)).toBe(0);

    // Listed with the referral, for both sides.
    for (const user of [lmt, pt]) {
      const read = await t.http.get(`/api/v1/referrals/${draft.id}`).set(user.auth).expect(200);
      expect(read.body.attachments.slice(0, 2)).toEqual([
        expect.objectContaining({
          id: pdf.id,
          fileName: 'imaging-report.pdf',
          contentType: 'application/pdf',
          sizeBytes: PDF.length,
          sha256: sha256(PDF),
        }),
        expect.objectContaining({
          id: png.id,
          fileName: 'posture.png',
          contentType: 'image/png',
          sizeBytes: PNG.length,
          sha256: sha256(PNG),
        }),
      ]);
    }
  });

  it('takes a file off a draft (the sender side); once sent, nothing comes off (422 attachments_frozen)', async () => {
    let draft = await newDraft();
    const remove = (user: SignedInUser, attachmentId: string) =>
      t.http.delete(`/api/v1/referrals/${draft.id}/attachments/${attachmentId}`).set(user.auth);
    const pdf = (await upload(lmt, draft.id, PDF, 'imaging-report.pdf').expect(201)).body;
    const png = (await upload(lmt, draft.id, PNG, 'wrong-patient.png').expect(201)).body;

    // Nobody but the sender side: the recipient does not see a draft, another clinic sees nothing.
    expectProblem(await remove(pt, png.id), 404, 'not_found');
    expectProblem(await remove(outsider, png.id), 404, 'not_found');
    // Two removals at once (a double click): one removes it, the other finds it gone.
    const both = await Promise.all([remove(lmt, png.id), remove(lmt, png.id)]);
    expect(both.map((r) => r.status).sort()).toEqual([204, 404]);
    expectProblem(await remove(lmt, '00000000-0000-4000-8000-000000000000'), 404, 'not_found');
    expectProblem(await download(lmt, draft.id, png.id), 404, 'not_found');
    const detail = (await t.http.get(`/api/v1/referrals/${draft.id}`).set(lmt.auth).expect(200)).body;
    expect(detail.attachments.map((a: { id: string }) => a.id)).toEqual([pdf.id]);
    // The same file again is a new attachment (the old one is gone, not answered).
    expect((await upload(lmt, draft.id, PNG, 'right-patient.png').expect(201)).body.id).not.toBe(png.id);

    draft = await actOk(t.http, lmt, draft, 'send');
    const late = (await upload(pt, draft.id, JPEG, 'late.jpg').expect(201)).body;
    const before = await countRows(sql, 'referral_attachments', 'referral_id = $1', [draft.id]);
    for (const [user, attachmentId] of [
      [lmt, pdf.id],
      [pt, pdf.id],
      [pt, late.id],
      [lmt, late.id],
    ] as const) {
      expectProblem(await remove(user, attachmentId), 422, 'attachments_frozen');
    }
    expect(await countRows(sql, 'referral_attachments', 'referral_id = $1', [draft.id])).toBe(before);
  });

  it('a cancelled draft keeps its files (409 invalid_transition)', async () => {
    const draft = await newDraft();
    const pdf = (await upload(lmt, draft.id, PDF, 'report.pdf').expect(201)).body;
    await actOk(t.http, lmt, draft, 'cancel', actionBody('cancel'));
    const res = await t.http.delete(`/api/v1/referrals/${draft.id}/attachments/${pdf.id}`).set(lmt.auth);
    expectProblem(res, 409, 'invalid_transition');
    expect(res.body.currentStatus).toBe('cancelled');
    expect(await countRows(sql, 'referral_attachments', 'referral_id = $1', [draft.id])).toBe(1);
  });

  it('sends a file of several slices byte for byte, with its length', async () => {
    const draft = await newDraft();
    // Not a whole number of the download's 1 MiB slices, and no two slices alike.
    const big = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(2.5 * 1024 * 1024 - 6)]);
    const att = (await upload(lmt, draft.id, big, 'scan.pdf').expect(201)).body;
    const got = await download(lmt, draft.id, att.id);
    expect(got.status).toBe(200);
    expect(got.headers['content-length']).toBe(String(big.length));
    expect(sha256(got.body as Buffer)).toBe(sha256(big));
    expect(Buffer.compare(got.body as Buffer, big)).toBe(0);
  });

  it('another clinic gets 404 on upload and download', async () => {
    const draft = await newDraft();
    const att = (await upload(lmt, draft.id, PDF, 'a.pdf').expect(201)).body;
    const sent = await actOk(t.http, lmt, draft, 'send');

    expectProblem(await download(outsider, sent.id, att.id), 404, 'not_found');
    expectProblem(await download(outsiderClinic.admin, sent.id, att.id), 404, 'not_found');
    const otherDraft = await newDraft();
    expectProblem(await upload(outsider, otherDraft.id, PDF, 'x.pdf'), 404, 'not_found');
    expect(await countRows(sql, 'referral_attachments', 'referral_id = $1', [otherDraft.id])).toBe(0);
  });

  it('the recipient cannot see a draft’s attachments (404) until it is sent', async () => {
    let draft = await newDraft();
    const att = (await upload(lmt, draft.id, JPEG, 'a.jpg').expect(201)).body;
    expectProblem(await download(pt, draft.id, att.id), 404, 'not_found');
    expectProblem(await upload(pt, draft.id, PDF, 'x.pdf'), 404, 'not_found');
    draft = await actOk(t.http, lmt, draft, 'send');
    const got = await download(pt, draft.id, att.id);
    expect(got.status).toBe(200);
    expect(Buffer.compare(got.body as Buffer, JPEG)).toBe(0);
  });

  it('counts a document as added after sending when its upload waited on the send (not by when the upload began)', async () => {
    const draft = await newDraft();
    // The send holds the referral's lock while it commits; the upload begins before and waits for it.
    const sender = new Client({ connectionString: t.database.url });
    await sender.connect();
    try {
      await sender.query('BEGIN');
      await sender.query('SELECT 1 FROM referrals WHERE id = $1 FOR UPDATE', [draft.id]);
      const uploading = upload(lmt, draft.id, PDF, 'late.pdf').then((res) => res);
      await someoneWaitsOnALock(sql, 'the upload');
      await sender.query(
        `UPDATE referrals SET status = 'sent', sent_at = clock_timestamp(), version = version + 1 WHERE id = $1`,
        [draft.id],
      );
      await sender.query('COMMIT');
      const res = await uploading;
      expect(res.status).toBe(201);
      expect(res.body.addedAfterSend).toBe(true);
    } finally {
      await sender.end();
    }
    const detail = await t.http.get(`/api/v1/referrals/${draft.id}`).set(lmt.auth).expect(200);
    expect(detail.body.attachments).toEqual([expect.objectContaining({ fileName: 'late.pdf', addedAfterSend: true })]);
  });

  it('a cancelled draft takes no more documents (409 invalid_transition), like any referral that has ended', async () => {
    const draft = await newDraft();
    const cancelled = await actOk(t.http, lmt, draft, 'cancel', actionBody('cancel'));
    const res = await upload(lmt, draft.id, PDF, 'late.pdf');
    expectProblem(res, 409, 'invalid_transition');
    expect(res.body.currentStatus).toBe('cancelled');
    expect(await countRows(sql, 'referral_attachments', 'referral_id = $1', [cancelled.id])).toBe(0);
  });

  it('an unknown attachment id is 404', async () => {
    const draft = await newDraft();
    expectProblem(await download(lmt, draft.id, '00000000-0000-4000-8000-000000000000'), 404, 'not_found');
  });

  it.each([
    ['a PDF named .html', PDF, 'scan.html', 'scan.pdf'],
    ['a PNG named .pdf', PNG, 'posture.pdf', 'posture.png'],
    ['a JPEG without an extension', JPEG, 'photo', 'photo.jpg'],
    ['a JPEG named .jpeg', JPEG, 'knee.JPEG', 'knee.JPEG'],
    ['a PNG whose name hides .exe behind a right-to-left override', PNG, 'report\u202Egnp.exe', 'reportgnp.png'],
    ['a PDF with bidi isolates, marks and control characters', PDF, '\u2066a\u200Fb\u0007c\u2069\u200B.pdf', 'abc.pdf'],
    ['a PDF named only by an extension', PDF, '.pdf', 'attachment.pdf'],
  ])(
    'serves %s under the name of its detected type, without control or bidi characters',
    async (_label, content, sent, expected) => {
      const draft = await newDraft();
      const uploaded = (await upload(lmt, draft.id, content, sent).expect(201)).body;
      expect(uploaded.fileName).toBe(expected);
      const got = await download(lmt, draft.id, uploaded.id);
      expect(got.status).toBe(200);
      expect(got.headers['content-disposition']).toBe(
        `attachment; filename="${expected}"; filename*=UTF-8''${encodeURIComponent(expected)}`,
      );
      const read = await t.http.get(`/api/v1/referrals/${draft.id}`).set(lmt.auth).expect(200);
      expect(read.body.attachments.map((a: { fileName: string }) => a.fileName)).toEqual([expected]);
    },
  );

  it('gives a non-ASCII name an ASCII fallback and keeps the UTF-8 name', async () => {
    const draft = await newDraft();
    const uploaded = (await upload(lmt, draft.id, PDF, 'Ärztlicher Bericht; x.pdf').expect(201)).body;
    expect(uploaded.fileName).toBe('Ärztlicher Bericht; x.pdf');
    const got = await download(lmt, draft.id, uploaded.id);
    expect(got.headers['content-disposition']).toBe(
      `attachment; filename="_rztlicher Bericht; x.pdf"; filename*=UTF-8''${encodeURIComponent('Ärztlicher Bericht; x.pdf')}`,
    );
  });

  it(`reads and stores at most ${UPLOADS_AT_ONCE} uploads at once: the others wait their turn, and every one lands`, async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const slots = t.app.get(UploadSlots);
    const boundary = 'referloop-slots-test';
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="scan.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const drafts = [];
    for (let i = 0; i < UPLOADS_AT_ONCE + 2; i++) drafts.push(await newDraft());
    // Each upload sends its headers and the start of its file, then holds the rest back.
    const uploads = drafts.map((draft, i) => {
      const body = Buffer.concat([head, PDF, Buffer.from(`% upload ${i}\n`), tail]);
      const request = httpRequest(`http://127.0.0.1:${port}/api/v1/referrals/${draft.id}/attachments`, {
        method: 'POST',
        headers: { ...lmt.auth, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': body.length },
      });
      const status = new Promise<number | undefined>((resolve, reject) => {
        request.on('response', (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode));
        });
        request.on('error', reject);
      });
      request.write(body.subarray(0, head.length + 8));
      return { request, rest: body.subarray(head.length + 8), status };
    });
    // The first ones read their files in their slots; the last two wait for a slot, unread.
    await eventually(() => {
      const { held, waiting } = slots.usage;
      return held === UPLOADS_AT_ONCE && waiting === 2 ? true : undefined;
    }, 'the uploads in their slots and in line');

    for (const upload of uploads) upload.request.end(upload.rest);
    expect(await Promise.all(uploads.map((upload) => upload.status))).toEqual(uploads.map(() => 201));
    expect(slots.usage).toEqual({ held: 0, waiting: 0 });
    for (const draft of drafts) expect(await countRows(sql, 'referral_attachments', 'referral_id = $1', [draft.id])).toBe(1);
  });
});
