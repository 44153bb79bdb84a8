import { PASSWORD, practitionerPayload, uniqueEmail } from '@referloop/testing';
import type { Page, Route } from 'playwright-core';
import { BrowserRun, fillSignUpPractice, focusIs, listen, loseNextAnswer, signIn } from '../support/browser';
import { actOk, createPatient, createReferral, injuryReferralBody, referralIn } from '../support/referral-helpers';
import {
  addPractitioner,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from '../support/test-app';

/**
 * What a clinic meets when things go wrong under an open screen, in Debian's Chromium against the
 * real API: an access token that expires while a message is written, a rate limit or an outage for
 * a moment, a double click, and the browser's Back after a referral was sent from its form. Every
 * screen passes axe-core (WCAG 2.1 A/AA) at desktop and at phone size.
 */

jest.setTimeout(180_000);

describe('web app in the browser: resilience', () => {
  let t: TestApp;
  let run: BrowserRun;
  let massage: TestClinic;
  let lmt: SignedInUser;
  let pt: SignedInUser;
  let patientId: string;

  /** Answers the next request matching `url` (and `method`) with `status` once; the others go through. */
  const failOnce = async (page: Page, url: string, method: string, status: number, body: Record<string, unknown>) => {
    let used = false;
    const handler = async (route: Route) => {
      if (used || route.request().method() !== method) return route.fallback();
      used = true;
      await route.fulfill({
        status,
        contentType: 'application/problem+json',
        headers: status === 429 ? { 'retry-after': '1' } : {},
        body: JSON.stringify(body),
      });
    };
    await page.route(url, handler);
    return () => used;
  };

  const messagesOf = async (referralId: string, user: SignedInUser) =>
    (await t.http.get(`/api/v1/referrals/${referralId}/messages`).set(user.auth).expect(200)).body.items as { body: string }[];

  beforeAll(async () => {
    t = await startTestApp();
    run = await BrowserRun.start(await listen(t));
    massage = await registerClinic(t.http, { name: 'Harbor Massage' });
    const physio = await registerClinic(t.http, { name: 'Bayview Physio' });
    lmt = await addPractitioner(t.http, massage, 'massage_therapist', { fullName: 'Lee Massage' });
    pt = await addPractitioner(t.http, physio, 'physical_therapist', { fullName: 'Pat Physio' });
    patientId = (await createPatient(t.http, lmt, { firstName: 'Robin', lastName: 'Hale' })).id;
  });

  afterAll(async () => {
    await run?.close();
    await t?.close();
  });

  it('a message sent as the access token expires, then rate limited, then double-clicked, is sent once each and never lost', async () => {
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
    const referral = await actOk(t.http, lmt, draft, 'send');
    const page = await run.newPage('message');
    await signIn(page, lmt.email);
    await page.goto(`/referrals/${referral.id}`);
    await page.getByRole('heading', { level: 1, name: 'Referral for Robin Hale' }).waitFor();
    const form = page.getByRole('form', { name: 'Write a message' });
    const box = form.getByLabel(/^Message to/);

    // The token expired on the way: refreshed and sent again, silently.
    const expired = await failOnce(page, '**/api/v1/referrals/*/messages', 'POST', 401, {
      code: 'unauthenticated',
      detail: 'The access token has expired',
    });
    await box.fill('First: can you see them this week?');
    await form.getByRole('button', { name: 'Send message' }).click();
    await page
      .getByRole('list', { name: 'Conversation' })
      .getByText('First: can you see them this week?', { exact: true })
      .waitFor();
    expect(expired()).toBe(true);
    expect(await box.inputValue()).toBe('');
    expect((await messagesOf(referral.id, lmt)).map((m) => m.body)).toEqual(['First: can you see them this week?']);

    // Rate limited for a moment: said, the text kept, and sending again works.
    await page.unrouteAll();
    await failOnce(page, '**/api/v1/referrals/*/messages', 'POST', 429, {
      code: 'rate_limited',
      detail: 'Too many requests; wait a minute and try again',
    });
    await box.fill('Second: the X-ray is attached.');
    await form.getByRole('button', { name: 'Send message' }).click();
    await form.getByText(/Too many requests/).waitFor();
    expect(await box.inputValue()).toBe('Second: the X-ray is attached.');
    await run.shot(page, 'resilience-01-message-rate-limited');
    await form.getByRole('button', { name: 'Send message' }).click();
    await page.getByRole('list', { name: 'Conversation' }).getByText('Second: the X-ray is attached.', { exact: true }).waitFor();

    // Double-clicked: one message.
    await page.unrouteAll();
    await box.fill('Third: thanks!');
    await form.getByRole('button', { name: 'Send message' }).dblclick();
    await page.getByRole('list', { name: 'Conversation' }).getByText('Third: thanks!', { exact: true }).waitFor();
    await page.waitForTimeout(500);
    expect((await messagesOf(referral.id, lmt)).map((m) => m.body)).toEqual([
      'First: can you see them this week?',
      'Second: the X-ray is attached.',
      'Third: thanks!',
    ]);
  });

  it('an action refused by a 503 for a moment says so and works when tried again; double-clicked it is done once', async () => {
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
    const referral = await actOk(t.http, lmt, draft, 'send');
    const page = await run.newPage('accept');
    await signIn(page, pt.email);
    await page.goto(`/referrals/${referral.id}`);
    await page.getByRole('heading', { level: 1, name: 'Referral for Robin Hale' }).waitFor();
    await failOnce(page, '**/api/v1/referrals/*/accept', 'POST', 503, { code: 'not_ready', detail: 'Try again shortly' });
    await page.getByRole('group', { name: 'Actions' }).getByRole('button', { name: 'Accept' }).click();
    const form = page.getByRole('form', { name: 'Accept' });
    await form.getByLabel('Note (optional)').fill('Happy to see them Tuesday');
    await form.getByRole('button', { name: 'Accept' }).click();
    await page.getByRole('alert').filter({ hasText: 'Try again shortly' }).waitFor();
    expect(await form.getByLabel('Note (optional)').inputValue()).toBe('Happy to see them Tuesday');
    await run.shot(page, 'resilience-02-action-unavailable');
    await form.getByRole('button', { name: 'Accept' }).dblclick();
    await page.locator('[data-testid=referral-status] [data-status="accepted"]').waitFor();
    await page.waitForTimeout(500);
    expect(await page.getByRole('alert').count()).toBe(0);
    const events = (await t.http.get(`/api/v1/referrals/${referral.id}/events`).set(pt.auth).expect(200)).body.items as {
      type: string;
    }[];
    expect(events.filter((e) => e.type === 'accepted')).toHaveLength(1);
  });

  it('Back after a referral was sent from the form does not offer the sent referral as a draft to edit', async () => {
    const page = await run.newPage('back-after-send');
    await signIn(page, lmt.email);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New referral' }).click();
    await page.getByRole('heading', { level: 1, name: 'New injury referral' }).waitFor();
    await page.getByRole('button', { name: /^Robin Hale/ }).click();
    await page.getByTestId('selected-patient').waitFor();
    await page.getByRole('button', { name: /^Choose Pat Physio, Bayview Physio/ }).click();
    await page.getByTestId('selected-recipient').waitFor();
    await page.getByLabel('Reason for referral').fill('Low back pain when lifting');
    await page.getByRole('group', { name: 'Body regions' }).getByRole('checkbox', { name: 'Lower back' }).check();
    await page.getByRole('button', { name: 'Send referral' }).click();
    await page.waitForURL(/\/referrals\/[0-9a-f-]{36}$/);
    await page.getByText('Referral sent to Pat Physio.').waitFor();
    const sentAt = page.url();

    await page.goBack();
    await page.waitForURL(/\/referrals\/new/);
    await page.getByRole('heading', { level: 1, name: 'Referral already sent' }).waitFor();
    await page.getByText(/^The referral for Robin Hale was already sent \(it is now Sent\)/).waitFor();
    expect(await page.getByRole('button', { name: 'Send referral' }).count()).toBe(0);
    await run.shot(page, 'resilience-03-back-after-send');
    await page.getByRole('link', { name: /Open the referral/ }).click();
    await page.waitForURL(sentAt);
  });

  it('a draft changed or sent elsewhere while its edit form is open: said, what was typed kept, and saving again works', async () => {
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id, { reason: 'Neck pain, first version' }));
    const page = await run.newPage('draft-conflict');
    await signIn(page, lmt.email);
    await page.goto(`/referrals/new?draft=${draft.id}`);
    await page.getByTestId('selected-recipient').getByText('Pat Physio').waitFor();
    const reason = page.getByLabel('Reason for referral');
    expect(await reason.inputValue()).toBe('Neck pain, first version');

    // Another tab saves the draft meanwhile: this save is refused (409 stale_version), and the form says why.
    await t.http
      .patch(`/api/v1/referrals/${draft.id}`)
      .set(lmt.auth)
      .send({ version: draft.version, observations: 'Added in the other tab' })
      .expect(200);
    await reason.fill('Neck pain, edited here');
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page.getByRole('alert').getByTestId('changed-elsewhere').waitFor();
    expect(await page.getByText(/read it again and retry/).count()).toBe(0);
    expect(await reason.inputValue()).toBe('Neck pain, edited here');
    await run.shot(page, 'resilience-04-draft-changed-elsewhere');
    // Saved again: this form's content is the draft.
    await page.getByRole('button', { name: 'Save as draft' }).click();
    await page.waitForURL((url) => url.pathname === `/referrals/${draft.id}`);
    const saved = (await t.http.get(`/api/v1/referrals/${draft.id}`).set(lmt.auth).expect(200)).body as { reason: string };
    expect(saved.reason).toBe('Neck pain, edited here');

    // Sent from another tab meanwhile: said, nothing offered that cannot work, what was typed left to copy.
    const other = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id, { reason: 'Knee pain' }));
    await page.goto(`/referrals/new?draft=${other.id}`);
    await page.getByTestId('selected-recipient').getByText('Pat Physio').waitFor();
    await actOk(t.http, lmt, other, 'send');
    await reason.fill('Knee pain, worse on stairs');
    await page.getByRole('button', { name: 'Send referral' }).click();
    await page
      .getByRole('alert')
      .getByTestId('sent-elsewhere')
      .getByText(/it is now Sent/)
      .waitFor();
    expect(await page.getByText(/read it again and retry/).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Send referral' }).count()).toBe(0);
    expect(await reason.inputValue()).toBe('Knee pain, worse on stairs');
    await run.shot(page, 'resilience-05-draft-sent-elsewhere');
  });

  it('a draft that cannot be opened is said as such, with Try again, and the form cannot save a second referral meanwhile', async () => {
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id, { reason: 'Hip pain when walking' }));
    const page = await run.newPage('draft-load-failure');
    await signIn(page, lmt.email);
    const refusal = await failOnce(page, `**/api/v1/referrals/${draft.id}`, 'GET', 503, {
      type: 'urn:referloop:problem:not_ready',
      title: 'Not ready',
      status: 503,
      code: 'not_ready',
      detail: 'The server is busy; retry in a moment',
    });
    await page.goto(`/referrals/new?draft=${draft.id}`);
    const failed = page.getByRole('alert').filter({ hasText: 'The draft could not be opened' });
    await failed.waitFor();
    expect(refusal()).toBe(true);
    // No form to fill and save as another referral while the draft it edits is not there.
    expect(await page.getByRole('button', { name: 'Save as draft' }).count()).toBe(0);
    expect(await page.getByText('The referral cannot be saved yet').count()).toBe(0);
    await run.shot(page, 'resilience-06-draft-load-failure');
    await failed.getByRole('button', { name: 'Try again' }).click();
    await page.getByTestId('selected-recipient').getByText('Pat Physio').waitFor();
    expect(await page.getByLabel('Reason for referral').inputValue()).toBe('Hip pain when walking');
  });

  it('a reload while ReferLoop cannot be reached says so, and Try again opens the session without another reload', async () => {
    const page = await run.newPage('reload-offline');
    await signIn(page, pt.email);
    // The session's refresh fails on the way (connection lost), then answers 503: each time, said.
    await page.route('**/api/v1/auth/refresh', (route) => route.abort('internetdisconnected'));
    await page.reload();
    const trouble = page.getByRole('alert').filter({ hasText: 'Your session could not be opened' });
    await trouble.getByText(/ReferLoop cannot be reached/).waitFor();
    await run.shot(page, 'resilience-06-session-unreachable');
    await page.unrouteAll();
    await page.route('**/api/v1/auth/refresh', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/problem+json',
        body: JSON.stringify({ code: 'not_ready', detail: 'The service is starting; try again shortly' }),
      }),
    );
    await trouble.getByRole('button', { name: 'Try again' }).click();
    await trouble.getByText(/try again shortly/).waitFor();
    // Back: Try again opens the session, on the screen that was open.
    await page.unrouteAll();
    await trouble.getByRole('button', { name: 'Try again' }).click();
    await page.getByRole('heading', { level: 1, name: 'Referrals' }).waitFor();
    expect(await trouble.count()).toBe(0);
  });

  it('a new referral refused by a 503, then whose answer is lost, then double-clicked: said once each time, and sent once', async () => {
    const page = await run.newPage('create-trouble');
    await signIn(page, lmt.email);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New referral' }).click();
    await page.getByRole('button', { name: /^Robin Hale/ }).click();
    await page.getByTestId('selected-patient').waitFor();
    await page.getByRole('button', { name: /^Choose Pat Physio, Bayview Physio/ }).click();
    await page.getByTestId('selected-recipient').waitFor();
    await page.getByLabel('Reason for referral').fill('Shin splints after running');
    await page.getByRole('group', { name: 'Body regions' }).getByRole('checkbox', { name: 'Left calf' }).check();

    // Unavailable for a moment: said once (one alert, which takes focus), not in two places at once.
    await failOnce(page, '**/api/v1/referrals', 'POST', 503, { code: 'not_ready', detail: 'Try again shortly' });
    await page.getByRole('button', { name: 'Send referral' }).click();
    await page.getByRole('alert').filter({ hasText: 'The referral cannot be sent yet' }).getByText('Try again shortly').waitFor();
    await focusIs(page, 'div', /The referral cannot be sent yet/);
    expect(await page.getByText('Try again shortly').count()).toBe(1);
    await run.shot(page, 'resilience-07-new-referral-unavailable');

    // Created, but the answer lost on the way: said; sending again (double-clicked) reuses the key.
    await page.unrouteAll();
    await loseNextAnswer(page, '**/api/v1/referrals', 'POST');
    await page.getByRole('button', { name: 'Send referral' }).click();
    await page
      .getByRole('alert')
      .getByText(/ReferLoop cannot be reached/)
      .waitFor();
    expect(await page.getByText(/ReferLoop cannot be reached/).count()).toBe(1);
    await page.unrouteAll();
    await page.getByRole('button', { name: 'Send referral' }).dblclick();
    await page.waitForURL(/\/referrals\/[0-9a-f-]{36}$/);
    await page.getByText('Referral sent to Pat Physio.').waitFor();
    const sent = (await t.http.get('/api/v1/referrals?box=sent&limit=100').set(lmt.auth).expect(200)).body.items as {
      reason: string;
      status: string;
    }[];
    // The sent box lists drafts too: one referral, sent.
    expect(sent.filter((r) => r.reason === 'Shin splints after running').map((r) => r.status)).toEqual(['sent']);
  });

  it('a message sent as the token expires while its refresh is rate limited or cannot get through: the reason said, the text kept', async () => {
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
    const referral = await actOk(t.http, lmt, draft, 'send');
    const page = await run.newPage('refresh-trouble');
    await signIn(page, lmt.email);
    await page.goto(`/referrals/${referral.id}`);
    await page.getByRole('heading', { level: 1, name: 'Referral for Robin Hale' }).waitFor();
    const form = page.getByRole('form', { name: 'Write a message' });
    const box = form.getByLabel(/^Message to/);
    const expired = { code: 'unauthenticated', detail: 'The access token has expired' };

    // The token expired, and its refresh is answered 429: the person is told to wait, not that the token is bad.
    await failOnce(page, '**/api/v1/referrals/*/messages', 'POST', 401, expired);
    await failOnce(page, '**/api/v1/auth/refresh', 'POST', 429, {
      code: 'rate_limited',
      detail: 'Too many attempts; wait a minute and try again',
    });
    await box.fill('Can we move the visit to Friday?');
    await form.getByRole('button', { name: 'Send message' }).click();
    await form.getByText('Too many attempts; wait a minute and try again').waitFor();
    expect(await form.getByText(/access token/).count()).toBe(0);
    expect(await box.inputValue()).toBe('Can we move the visit to Friday?');
    await run.shot(page, 'resilience-08-refresh-rate-limited');

    // Again, the refresh's connection lost: said as such.
    await page.unrouteAll();
    await failOnce(page, '**/api/v1/referrals/*/messages', 'POST', 401, expired);
    await page.route('**/api/v1/auth/refresh', (route) => route.abort('internetdisconnected'));
    await form.getByRole('button', { name: 'Send message' }).click();
    await form.getByText(/ReferLoop cannot be reached/).waitFor();
    expect(await box.inputValue()).toBe('Can we move the visit to Friday?');

    // Through again: sent once, still signed in.
    await page.unrouteAll();
    await form.getByRole('button', { name: 'Send message' }).click();
    await page
      .getByRole('list', { name: 'Conversation' })
      .getByText('Can we move the visit to Friday?', { exact: true })
      .waitFor();
    expect((await messagesOf(referral.id, lmt)).map((m) => m.body)).toEqual(['Can we move the visit to Friday?']);
    expect(await page.getByRole('dialog').count()).toBe(0);
  });

  it('a sign-up whose answer is lost, sent again, signs its person in to the practice made the first time', async () => {
    const page = await run.newPage('sign-up-lost-answer');
    await page.goto('/sign-up');
    // A solo practice (the form's first choice): one account, admin and practitioner.
    const form = await fillSignUpPractice(page);
    await form.getByLabel('You are a').selectOption('physical_therapist');
    await form.getByLabel('Your full name').fill('Quinn Okafor');
    await form.getByLabel('Email').fill(uniqueEmail('quinn'));
    await loseNextAnswer(page, '**/api/v1/auth/register-clinic');
    await form.getByRole('button', { name: 'Create my practice' }).click();
    await page.getByText(/ReferLoop cannot be reached/).waitFor();
    // Sent again: the address is now taken, by the account the first request made with this password.
    await form.getByRole('button', { name: 'Create my practice' }).click();
    await page.getByRole('heading', { level: 1, name: 'Referrals' }).waitFor();
    await page.locator('.account-name').getByText('Okafor Physiotherapy').waitFor();
    await run.shot(page, 'resilience-13-sign-up-lost-answer');
  });

  it('an invitation accepted but whose answer is lost, set again, signs its person in instead of calling the link used', async () => {
    const invited = await t.http
      .post('/api/v1/practitioners')
      .set(massage.admin.auth)
      .send(practitionerPayload('massage_therapist', new Date(), { fullName: 'Noa Keller' }))
      .expect(201);
    const link = new URL(invited.body.invitation.url as string);
    const page = await run.newPage('accept-invitation-lost-answer');
    await page.goto(`${link.pathname}${link.hash}`);
    await page.getByText('Welcome to ReferLoop, Noa Keller.').waitFor();
    await page.getByLabel('New password').fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await loseNextAnswer(page, '**/api/v1/auth/accept-invitation');
    await page.getByRole('button', { name: 'Set password and sign in' }).click();
    await page.getByText(/ReferLoop cannot be reached/).waitFor();
    // Sent again: the link is used now, by this person, with this password.
    await page.getByRole('button', { name: 'Set password and sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Referrals' }).waitFor();
    await page.locator('.account-name').getByText('Noa Keller').waitFor();
    await run.shot(page, 'resilience-14-accept-invitation-lost-answer');
  });

  it('the sign-up form asks before what was typed in it is left: a reload, its Sign in link, Back; staying keeps it', async () => {
    const page = await run.newPage('sign-up-leave');
    const asked: string[] = [];
    page.on('dialog', (dialog) => {
      asked.push(dialog.type());
      void dialog.dismiss();
    });
    await page.goto('/sign-in');
    await page
      .getByRole('link', { name: /Create/ })
      .first()
      .click();
    const form = page.getByRole('form', { name: /Create your/ });
    await form.getByLabel('Practice name').fill('Hale Massage Studio');
    await form.getByLabel('City').fill('Austin');

    // A reload: the browser asks (answered: stay), and what was typed is still there.
    await page.reload({ timeout: 2_000 }).catch(() => undefined);
    expect(asked).toEqual(['beforeunload']);
    expect(await form.getByLabel('Practice name').inputValue()).toBe('Hale Massage Studio');

    // Its own link, then Back: the app asks; staying keeps the form as typed.
    const question = page.getByRole('dialog', { name: 'Leave without saving?' });
    await page.getByRole('link', { name: 'Sign in' }).click();
    await question.waitFor();
    await run.shot(page, 'resilience-09-sign-up-leave');
    await question.getByRole('button', { name: 'Stay on this page' }).click();
    expect(page.url()).toMatch(/\/sign-up$/);
    await page.goBack();
    await question.waitFor();
    await question.getByRole('button', { name: 'Stay on this page' }).click();
    expect(page.url()).toMatch(/\/sign-up$/);
    expect(await form.getByLabel('Practice name').inputValue()).toBe('Hale Massage Studio');
    expect(await form.getByLabel('City').inputValue()).toBe('Austin');

    // Left on purpose: on to sign in, nothing broken.
    await page.getByRole('link', { name: 'Sign in' }).click();
    await question.getByRole('button', { name: /Leave/ }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
  });

  it('the referral lists and a referral that fail to load for a moment say so, and Try again loads them', async () => {
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id, { reason: 'Wrist pain typing' }));
    const referral = await actOk(t.http, lmt, draft, 'send');
    const page = await run.newPage('load-trouble');
    await signIn(page, pt.email);
    const unavailable = { code: 'not_ready', detail: 'The service is busy; try again shortly' };
    await failOnce(page, '**/api/v1/referrals?*', 'GET', 503, unavailable);
    await page.reload();
    const listTrouble = page.getByRole('alert').filter({ hasText: 'Could not load the referrals' });
    await listTrouble.getByText('The service is busy; try again shortly').waitFor();
    await run.shot(page, 'resilience-10-list-unavailable');
    await listTrouble.getByRole('button', { name: 'Try again' }).click();
    await page.locator(`tr[data-referral-id="${referral.id}"]`).waitFor();
    expect(await listTrouble.count()).toBe(0);

    await failOnce(page, `**/api/v1/referrals/${referral.id}`, 'GET', 503, unavailable);
    await page.locator(`tr[data-referral-id="${referral.id}"]`).getByRole('link', { name: 'Robin Hale' }).click();
    const trouble = page.getByRole('alert').filter({ hasText: 'Could not open this referral' });
    await trouble.getByText('The service is busy; try again shortly').waitFor();
    await run.shot(page, 'resilience-11-referral-unavailable');
    await trouble.getByRole('button', { name: 'Try again' }).click();
    await page.getByRole('heading', { level: 1, name: 'Referral for Robin Hale' }).waitFor();
    await page.getByText('Wrist pain typing').first().waitFor();
    expect(await trouble.count()).toBe(0);
  });

  it('a progress report whose answer is lost, sent again, is reported once: with live updates or without', async () => {
    const reportWithLostAnswer = async (label: string, live: boolean) => {
      const inCare = await referralIn(t.http, { sender: lmt, recipient: pt }, patientId, 'in_care');
      const page = await run.newPage(label);
      if (!live) await page.route('**/api/v1/events', (route) => route.abort());
      await signIn(page, pt.email);
      await page.goto(`/referrals/${inCare.id}`);
      await page.getByRole('heading', { level: 1, name: 'Referral for Robin Hale' }).waitFor();
      await page.getByRole('button', { name: 'Report progress' }).click();
      const form = page.getByRole('form', { name: 'Report progress' });
      await form.getByLabel('Sessions completed').fill('3');
      await form.getByRole('radio', { name: 'Tolerated well' }).check();
      await form.getByLabel(/^Note/).fill('Sleeping better');
      await loseNextAnswer(page, '**/api/v1/referrals/*/report-progress');
      await form.getByRole('button', { name: 'Send progress report' }).click();
      if (live) {
        // The live update shows the report: the form knows it for its own, and closes as sent.
        await page.getByText('Progress reported to Lee Massage').waitFor();
      } else {
        await form.getByText(/ReferLoop cannot be reached/).waitFor();
        await form.getByRole('button', { name: 'Send progress report' }).click();
        await page.getByText('Progress reported to Lee Massage').waitFor();
      }
      expect(await form.count()).toBe(0);
      await page.getByTestId('progress-list').getByText('Sleeping better').waitFor();
      const reports = (await t.http.get(`/api/v1/referrals/${inCare.id}`).set(pt.auth).expect(200)).body.progress as unknown[];
      expect(reports).toHaveLength(1);
      await run.shot(page, `resilience-12-progress-lost-answer-${label}`);
    };
    await reportWithLostAnswer('live', true);
    await reportWithLostAnswer('offline-stream', false);
  });

  it('an action whose answer is lost is done once and said as done: a note (live or not), an Accept', async () => {
    const eventsOf = async (referralId: string, type: string) =>
      (
        (await t.http.get(`/api/v1/referrals/${referralId}/events`).set(pt.auth).expect(200)).body.items as { type: string }[]
      ).filter((e) => e.type === type);

    for (const live of [true, false]) {
      const inCare = await referralIn(t.http, { sender: lmt, recipient: pt }, patientId, 'in_care');
      const page = await run.newPage(`note-lost-${live ? 'live' : 'offline'}`);
      if (!live) await page.route('**/api/v1/events', (route) => route.abort());
      await signIn(page, pt.email);
      await page.goto(`/referrals/${inCare.id}`);
      await page.getByRole('heading', { level: 1, name: 'Referral for Robin Hale' }).waitFor();
      await page.getByRole('group', { name: 'Actions' }).getByRole('button', { name: 'Add note' }).click();
      const form = page.getByRole('form', { name: 'Add note' });
      await form.getByLabel(/^Note/).fill('Client asked for evening slots');
      await loseNextAnswer(page, '**/api/v1/referrals/*/add-note');
      await form.getByRole('button', { name: 'Add note' }).click();
      if (!live) {
        await form.getByText(/ReferLoop cannot be reached/).waitFor();
        await form.getByRole('button', { name: 'Add note' }).click();
      }
      await form.waitFor({ state: 'detached' });
      await page.getByTestId('timeline').getByText('Client asked for evening slots').waitFor();
      expect(await page.getByText(/changed while this was open/).count()).toBe(0);
      expect(await eventsOf(inCare.id, 'note_added')).toHaveLength(1);
    }

    // Accept, answer lost, the live update shows it accepted: not "Accept is no longer possible".
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
    const referral = await actOk(t.http, lmt, draft, 'send');
    const page = await run.newPage('accept-lost');
    await signIn(page, pt.email);
    await page.goto(`/referrals/${referral.id}`);
    await page.getByRole('heading', { level: 1, name: 'Referral for Robin Hale' }).waitFor();
    await page.getByRole('group', { name: 'Actions' }).getByRole('button', { name: 'Accept' }).click();
    const form = page.getByRole('form', { name: 'Accept' });
    await loseNextAnswer(page, '**/api/v1/referrals/*/accept');
    await form.getByRole('button', { name: 'Accept' }).click();
    await page.locator('[data-testid=referral-status] [data-status="accepted"]').waitFor();
    await form.waitFor({ state: 'detached' });
    expect(await page.getByText(/no longer possible/).count()).toBe(0);
    await run.shot(page, 'resilience-13-accept-lost-answer');
    expect(await eventsOf(referral.id, 'accepted')).toHaveLength(1);
  });

  it('no screen had an uncaught error, a CSP violation or an accessibility violation', () => {
    expect(run.pageErrors).toEqual([]);
    expect(run.cspViolations).toEqual([]);
    expect(run.accessibility).toEqual([]);
    expect(run.overflowing).toEqual([]);
  });
});
