import type { Page } from 'playwright-core';
import { BrowserRun, hasFocus, listen, signIn, timeIn } from '../support/browser';
import { eventually } from '../support/sinks';
import { registerClinic, startTestApp, type TestApp, type TestClinic } from '../support/test-app';

/**
 * A clinic admin manages the clinic's webhooks in Debian's Chromium against the real API: a form
 * refused by its own checks takes focus to its first field, a webhook added shows its signing
 * secret once (never again) and when it was added on the clinic's clocks, the zone named, and a
 * deleted one is gone. Every photographed screen passes axe-core (WCAG 2.1 A/AA) at desktop and at
 * phone size, without sideways scrolling.
 */

jest.setTimeout(180_000);

describe('web app in the browser: webhooks', () => {
  let t: TestApp;
  let run: BrowserRun;
  let clinic: TestClinic;
  const shot = (page: Page, name: string) => run.shot(page, name);

  beforeAll(async () => {
    // Loopback addresses are refused as webhook targets unless allow-listed, as a test receiver is.
    t = await startTestApp({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
    run = await BrowserRun.start(await listen(t));
    clinic = await registerClinic(t.http, { name: 'Riverside Massage' });
  });

  afterAll(async () => {
    await run?.close();
    await t?.close();
  });

  it('an admin adds a webhook, sees its secret once, and deletes it', async () => {
    const admin = await run.newPage('admin');
    await signIn(admin, clinic.admin.email);
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
    await admin.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Webhooks' }).click();
    await admin.getByRole('heading', { level: 1, name: 'Webhooks' }).waitFor();
    await admin.getByText('No webhooks yet.').waitFor();
    expect(await admin.title()).toBe('Webhooks · ReferLoop');
    await shot(admin, 'webhooks-01-empty');

    // Nothing filled in: both problems named at their fields, focus on the first.
    const form = admin.getByRole('form', { name: 'Add a webhook' });
    await form.getByRole('button', { name: 'Add webhook' }).click();
    await form.getByText('Enter the address to post to.').waitFor();
    await form.getByText('Choose at least one event, or all events.').waitFor();
    const address = form.getByLabel(/^Address/);
    await eventually(() => hasFocus(address), 'focus on Address');
    expect(await address.getAttribute('aria-invalid')).toBe('true');
    await shot(admin, 'webhooks-02-form-errors');

    await address.fill('http://127.0.0.1:9/referloop');
    await form.getByRole('checkbox', { name: 'Sent', exact: true }).check();
    await form.getByRole('checkbox', { name: 'Accepted', exact: true }).check();
    await form.getByRole('button', { name: 'Add webhook' }).click();
    const secret = admin.getByTestId('webhook-secret');
    await secret.getByText('it is shown only this once').waitFor();
    expect(await secret.getByLabel('Signing secret').inputValue()).toMatch(/^whsec_/);
    const row = admin.getByTestId('webhooks-table').locator('tr', { hasText: 'http://127.0.0.1:9/referloop' });
    await row.getByText(/Sent, Accepted|Accepted, Sent/).waitFor();
    // When it was added, on the clinic's clocks (America/Chicago), the zone named, not on this browser's (UTC).
    const [hook] = (await t.http.get('/api/v1/webhooks').set(clinic.admin.auth).expect(200)).body.items as {
      createdAt: string;
    }[];
    await admin.getByText('Times in America/Chicago, the clinic’s time zone.').waitFor();
    await row
      .locator('td[data-label="Added"]')
      .filter({ hasText: timeIn(hook.createdAt, 'America/Chicago', 'C[SD]T') })
      .waitFor();
    await shot(admin, 'webhooks-03-added-secret-once');

    // The secret is not shown again: the list never has it.
    await admin.reload();
    await row.waitFor();
    expect(await admin.getByTestId('webhook-secret').count()).toBe(0);

    // Delete asks first; "Keep it" goes back to the Delete button.
    await row.getByRole('button', { name: 'Delete the webhook to http://127.0.0.1:9/referloop' }).click();
    await row.getByRole('button', { name: 'Keep it' }).click();
    await row.getByRole('button', { name: 'Delete the webhook to http://127.0.0.1:9/referloop' }).click();
    await row.getByRole('button', { name: 'Yes, delete' }).click();
    await admin.getByText('No webhooks yet.').waitFor();
    await admin.getByText('is deleted: nothing more is sent to it.').waitFor();
    await shot(admin, 'webhooks-04-deleted');
    const listed = await t.http.get('/api/v1/webhooks').set(clinic.admin.auth).expect(200);
    expect(listed.body.items).toEqual([]);
  });

  it('saw no uncaught error, no WCAG 2.1 A/AA violation and no sideways scrolling at 390 × 844', () => {
    expect(run.pageErrors).toEqual([]);
    expect(run.cspViolations).toEqual([]);
    expect(run.accessibility).toEqual([]);
    expect(run.overflowing).toEqual([]);
  });
});
