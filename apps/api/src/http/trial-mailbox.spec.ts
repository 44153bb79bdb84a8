import { isLoopback, mailboxPage } from './trial-mailbox';

describe('trial mailbox', () => {
  it('counts only loopback peers as the machine itself', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) expect(isLoopback(address)).toBe(true);
    for (const address of [undefined, '', '10.0.0.1', '192.168.1.2', '::ffff:10.0.0.1', 'fe80::1', '::', '0.0.0.0', '1127.0.0.1'])
      expect(isLoopback(address)).toBe(false);
  });

  it('escapes what a mail holds and links only http(s) URLs', () => {
    const page = mailboxPage(
      [
        {
          id: 'd-1',
          to: 'x@example.com',
          subject: '<script>alert(1)</script>',
          text: 'Join: https://app.example/accept-invitation?token=a&b=1 or javascript:alert(1) "quoted"',
          headers: {},
          createdAt: '2026-01-01T00:00:00.000Z',
        },
      ],
      '/data/trial-mailbox',
    );
    expect(page).not.toContain('<script>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain(
      '<a href="https://app.example/accept-invitation?token=a&amp;b=1">https://app.example/accept-invitation?token=a&amp;b=1</a>',
    );
    expect(page).not.toContain('href="javascript');
    expect(page).toContain('Emails are not sent in trial mode');
  });
});
