import type { Locator, Page } from 'playwright-core';
import { BrowserRun, hasFocus, listen, signIn } from '../support/browser';
import { actOk, createPatient, createReferral, injuryReferralBody } from '../support/referral-helpers';
import { addPractitioner, registerClinic, type SignedInUser, startTestApp, type TestApp } from '../support/test-app';

/**
 * The two therapists talk on a sent referral, each in their own browser context (Debian's Chromium
 * against the real API): messages back and forth with author and time, a document added after
 * sending, and the unread badges in the lists rising and dropping as each side reads. Every screen
 * passes axe-core (WCAG 2.1 A/AA) at desktop and at phone size, without sideways scrolling.
 */

jest.setTimeout(180_000);

/** A tiny PDF: the API recognises attachments by content (magic bytes), not by name. */
const XRAY_PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

describe('web app in the browser: the referral conversation and unread badges', () => {
  let t: TestApp;
  let run: BrowserRun;
  let lmt: SignedInUser;
  let pt: SignedInUser;
  let referralId: string;
  let lmtPage: Page;
  let ptPage: Page;

  const row = (page: Page) => page.locator(`tr[data-referral-id="${referralId}"]`);
  const conversation = (page: Page) => page.getByTestId('conversation');
  const messages = (page: Page) => conversation(page).getByRole('list', { name: 'Conversation' }).locator('li');

  /** Writes and sends a message from the referral's conversation panel. */
  async function write(page: Page, body: string): Promise<void> {
    const form = page.getByRole('form', { name: 'Write a message' });
    await form.getByLabel(/^Message to/).fill(body);
    await form.getByRole('button', { name: 'Send message' }).click();
    await messages(page).filter({ hasText: body }).waitFor();
  }

  /** The lists, reloaded (the box is read when the page opens). */
  async function inbox(page: Page, box: 'received' | 'sent'): Promise<Locator> {
    await page.goto(`/?box=${box}`);
    await page.getByRole('heading', { level: 1, name: 'Referrals' }).waitFor();
    await row(page).waitFor();
    return row(page);
  }

  async function open(page: Page, from: Locator): Promise<void> {
    await from.getByRole('link', { name: 'Jamie Rivera' }).click();
    await page.waitForURL(`**/referrals/${referralId}`);
    await conversation(page).getByRole('heading', { name: 'Messages' }).waitFor();
  }

  beforeAll(async () => {
    t = await startTestApp({}, { worker: true });
    run = await BrowserRun.start(await listen(t));
    const massage = await registerClinic(t.http, { name: 'Sunrise Massage' });
    const physio = await registerClinic(t.http, { name: 'Capitol Physio' });
    lmt = await addPractitioner(t.http, massage, 'massage_therapist', { fullName: 'Morgan Massage' });
    pt = await addPractitioner(t.http, physio, 'physical_therapist', { fullName: 'Priya Physio' });
    const patient = await createPatient(t.http, lmt, { firstName: 'Jamie', lastName: 'Rivera' });
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id));
    referralId = (await actOk(t.http, lmt, draft, 'send')).id;
    lmtPage = await run.newPage('lmt');
    ptPage = await run.newPage('pt');
  });

  afterAll(async () => {
    await run?.close();
    await t?.close();
  });

  it('the PT opens the new referral and asks a question', async () => {
    await signIn(ptPage, pt.email);
    const received = await inbox(ptPage, 'received');
    // New to her: unread, named for screen readers.
    const badge = received.getByRole('img', { name: /^\d+ unread updates?$/ });
    await badge.waitFor();
    expect(Number(await badge.getAttribute('data-count'))).toBeGreaterThan(0);
    await run.shot(ptPage, 'conversation-00-inbox-new');
    await open(ptPage, received);
    await conversation(ptPage).getByText('No messages yet.').waitFor();
    await run.shot(ptPage, 'conversation-01-empty');

    await write(ptPage, 'Could you send the X-ray report from last week?');
    const mine = messages(ptPage).first();
    expect(await mine.innerText()).toMatch(/^You\s/);
    await mine.locator('time').waitFor();
    await ptPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Referrals' }).click();
    await row(ptPage).waitFor();
  });

  it('the LMT sees the unread badge, reads the question, adds the report after sending and answers', async () => {
    await signIn(lmtPage, lmt.email);
    const sent = await inbox(lmtPage, 'sent');
    // The PT's acknowledgement and message, both since the LMT last looked.
    const badge = sent.getByRole('img', { name: '2 unread updates' });
    await badge.waitFor();
    expect(await badge.innerText()).toBe('2');
    await run.shot(lmtPage, 'conversation-02-inbox-unread');

    await open(lmtPage, sent);
    const question = messages(lmtPage).first();
    await question.waitFor();
    expect(await question.innerText()).toContain('Priya Physio');
    expect(await question.innerText()).toContain('Could you send the X-ray report from last week?');

    // A document after sending: either side may add one; it is marked as such.
    await lmtPage
      .getByLabel(/Add a file/)
      .setInputFiles({ name: 'xray-report.pdf', mimeType: 'application/pdf', buffer: XRAY_PDF });
    await lmtPage.getByRole('button', { name: 'Upload' }).click();
    await lmtPage.getByRole('button', { name: 'xray-report.pdf', exact: true }).waitFor();
    expect(await lmtPage.getByTestId('added-after-send').innerText()).toMatch(/Added after sending\s+by you/);

    await write(lmtPage, 'Attached the X-ray report: no fracture.');
    expect(await messages(lmtPage).count()).toBe(2);
    await run.shot(lmtPage, 'conversation-03-answered');

    // Read on opening: nothing unread for the LMT any more (her own upload and message do not count).
    const again = await inbox(lmtPage, 'sent');
    await again.getByRole('link', { name: 'Jamie Rivera' }).waitFor();
    expect(await again.getByTestId('unread-badge').count()).toBe(0);
  });

  it('the PT sees the answer and the report, and the LMT sees the thanks arrive on the open page', async () => {
    const received = await inbox(ptPage, 'received');
    // The document and the message.
    await received.getByRole('img', { name: '2 unread updates' }).waitFor();
    await run.shot(ptPage, 'conversation-04-inbox-unread');
    await open(ptPage, received);
    await messages(ptPage).filter({ hasText: 'Attached the X-ray report: no fracture.' }).waitFor();
    expect(await messages(ptPage).nth(1).innerText()).toContain('Morgan Massage');
    // Each message once: in the conversation, not again in the timeline (which says where they are).
    const timeline = ptPage.getByTestId('timeline');
    expect(await timeline.locator('li[data-event="message"]').count()).toBe(0);
    expect(await timeline.innerText()).not.toContain('Attached the X-ray report');
    expect(await ptPage.getByTestId('timeline-messages').innerText()).toBe('2 messages are in the conversation.');
    expect(await ptPage.getByText('Attached the X-ray report: no fracture.').count()).toBe(1);
    expect(await ptPage.getByTestId('added-after-send').innerText()).toMatch(/Added after sending\s+by Morgan Massage/);

    // The LMT keeps the referral open; the PT's thanks shows up there without a reload.
    await open(lmtPage, await inbox(lmtPage, 'sent'));
    await write(ptPage, 'Thanks, booked for Thursday.');
    await messages(lmtPage).filter({ hasText: 'Thanks, booked for Thursday.' }).waitFor({ timeout: 25_000 });
    const times = await messages(lmtPage)
      .locator('time')
      .evaluateAll((items) => items.map((item) => item.getAttribute('datetime') ?? ''));
    expect(times).toHaveLength(3);
    expect([...times].sort()).toEqual(times);
    await run.shot(lmtPage, 'conversation-05-thanks-arrived');

    // Both read everything: no badge on either side.
    for (const [page, box] of [
      [ptPage, 'received'],
      [lmtPage, 'sent'],
    ] as const) {
      const item = await inbox(page, box);
      await item.getByRole('link', { name: 'Jamie Rivera' }).waitFor();
      expect(await item.getByTestId('unread-badge').count()).toBe(0);
    }
  });

  it('an open referral left alone reads its messages no more while live events arrive (each read is audited)', async () => {
    await open(lmtPage, await inbox(lmtPage, 'sent'));
    await messages(lmtPage).first().waitFor();
    const reads: string[] = [];
    const count = (request: { url: () => string; method: () => string }) => {
      if (request.method() === 'GET' && new URL(request.url()).pathname.endsWith('/messages')) reads.push(request.url());
    };
    lmtPage.on('request', count);
    // Longer than the 10 s fallback poll: with the stream open, nothing is read.
    await lmtPage.waitForTimeout(11_000);
    lmtPage.off('request', count);
    expect(reads).toEqual([]);
  });

  it('leaving the page with a message typed asks first; Stay keeps it, and an emptied box asks nothing', async () => {
    await open(lmtPage, await inbox(lmtPage, 'sent'));
    const box = lmtPage.getByRole('form', { name: 'Write a message' }).getByLabel(/^Message to/);
    await box.fill('Half-typed: will she need a second visit?');
    const main = lmtPage.getByRole('navigation', { name: 'Main' });
    const asked = lmtPage.getByRole('dialog', { name: 'Leave without saving?' });
    await main.getByRole('link', { name: 'Patients' }).click();
    await asked.waitFor();
    await asked.getByRole('button', { name: 'Stay on this page' }).click();
    expect(lmtPage.url()).toMatch(new RegExp(`/referrals/${referralId}$`));
    expect(await box.inputValue()).toBe('Half-typed: will she need a second visit?');

    await box.fill('');
    await main.getByRole('link', { name: 'Patients' }).click();
    await lmtPage.waitForURL('**/patients');
    expect(await asked.count()).toBe(0);
  });

  it('a long conversation: the timeline shows the latest events, and the earlier ones on request', async () => {
    // Past the 100 events a referral's answer embeds.
    for (let i = 1; i <= 100; i++) {
      await t.http
        .post(`/api/v1/referrals/${referralId}/messages`)
        .set((i % 2 ? pt : lmt).auth)
        .send({ body: `Session note ${i}` })
        .expect(201);
    }
    await open(lmtPage, await inbox(lmtPage, 'sent'));
    // The latest 100 are all messages, which the conversation shows: the timeline lists none of them.
    const earlier = lmtPage.getByTestId('timeline-earlier');
    await earlier.waitFor();
    expect(await earlier.innerText()).toContain('Showing the latest events.');
    const timeline = lmtPage.getByTestId('timeline');
    expect(await timeline.count()).toBe(0);
    expect(await lmtPage.getByText('No events yet.').count()).toBe(0);
    expect(await lmtPage.getByTestId('timeline-messages').innerText()).toBe('Messages are in the conversation.');
    await run.shot(lmtPage, 'conversation-06-long-timeline');

    await earlier.getByRole('button', { name: 'Show earlier events' }).click();
    await timeline.locator('li[data-event="created"]').waitFor();
    expect(await earlier.count()).toBe(0);
    expect(await lmtPage.getByTestId('timeline-messages').innerText()).toBe('103 messages are in the conversation.');
    // The button is gone: focus is on the list it filled, not lost to <body>.
    expect(await hasFocus(timeline)).toBe(true);
    await run.shot(lmtPage, 'conversation-07-whole-timeline');
  });

  it('saw no uncaught error or CSP violation, no WCAG 2.1 A/AA violation and no sideways scrolling', () => {
    expect(run.pageErrors).toEqual([]);
    expect(run.cspViolations).toEqual([]);
    expect(run.accessibility).toEqual([]);
    expect(run.overflowing).toEqual([]);
  });
});
