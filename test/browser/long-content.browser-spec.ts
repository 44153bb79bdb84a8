import { BrowserRun, listen, signIn } from '../support/browser';
import { createPatient } from '../support/referral-helpers';
import {
  addPractitioner,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from '../support/test-app';

/**
 * Content at the limits the API accepts, in Debian's Chromium against the real API: names of 200
 * (people) and 100 (patients) characters with no space to break at, in Latin and non-Latin scripts,
 * and more than 99 unread notifications. Each screen passes axe-core (WCAG 2.1 A/AA) at desktop and
 * at phone size and does not scroll sideways on a phone.
 */

jest.setTimeout(240_000);

/** `base` repeated to exactly `length` characters: one word, nowhere to wrap. */
const word = (base: string, length: number) => base.repeat(Math.ceil(length / base.length)).slice(0, length);
const THAI = 'ศูนย์กายภาพบำบัดกรุงเทพมหานคร';

describe('web app in the browser: long and unusual content', () => {
  let t: TestApp;
  let run: BrowserRun;
  let massage: TestClinic;
  let lmt: SignedInUser;

  beforeAll(async () => {
    t = await startTestApp({}, { worker: true });
    run = await BrowserRun.start(await listen(t));
    massage = await registerClinic(t.http, { name: 'Sunrise Massage' });
    lmt = await addPractitioner(t.http, massage, 'massage_therapist', { fullName: word('Massagetherapeutin', 200) });
  });

  afterAll(async () => {
    await run?.close();
    await t?.close();
  });

  it('patients whose names are 100 characters without a space fit a phone', async () => {
    await createPatient(t.http, lmt, { firstName: word(THAI, 100), lastName: word('Sonnenschein', 100) });
    const page = await run.newPage('lmt-patients');
    await signIn(page, lmt.email);
    await page.goto('/patients');
    await page.getByRole('list', { name: 'Patients' }).getByRole('heading', { level: 2 }).waitFor();
    await run.shot(page, 'long-content-01-patients');
    expect(run.overflowing).toEqual([]);
  });

  it('saw no uncaught error or CSP violation and no WCAG 2.1 A/AA violation', () => {
    expect(run.pageErrors).toEqual([]);
    expect(run.cspViolations).toEqual([]);
    expect(run.accessibility).toEqual([]);
  });
});
