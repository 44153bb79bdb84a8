import { headerProfileFor, securityHeaders } from './security-headers';

describe('headerProfileFor', () => {
  it.each([
    ['/', 'strict'],
    ['/admin/practitioners', 'strict'],
    ['/api/v1/referrals?status=sent', 'api'],
    ['/api/v1/nothing-here', 'api'],
    ['/health/live', 'api'],
    ['/api/v1x', 'strict'],
    ['/api/docs-json', 'strict'],
    ['/api/docsx', 'strict'],
    ['/admin/queuesx', 'strict'],
    ['/api/docs', 'bundled-tool'],
    ['/api/docs/', 'bundled-tool'],
    ['/api/docs?x=1', 'bundled-tool'],
    ['/api/docs/swagger-ui-init.js', 'bundled-tool'],
    ['/admin/queues', 'bundled-tool'],
    ['/admin/queues/api/queues?page=1', 'bundled-tool'],
  ])('%s → %s', (url, profile) => {
    expect(headerProfileFor(url, '/api/v1/')).toBe(profile);
  });
});

describe('securityHeaders', () => {
  it('allows no inline script anywhere, and inline styles only on the bundled tools', () => {
    const strict = securityHeaders(false, 'strict')['content-security-policy'];
    const tool = securityHeaders(false, 'bundled-tool')['content-security-policy'];
    expect(strict).not.toContain('unsafe-inline');
    expect(tool).toContain("script-src 'self';");
    expect(tool).toContain("style-src 'self' 'unsafe-inline'");
    expect(tool.match(/unsafe-inline/g)).toHaveLength(1);
  });

  it('lets an API answer load nothing and be framed by nobody, and no one keep it', () => {
    const api = securityHeaders(true, 'api');
    expect(api['content-security-policy'].split(';')).toEqual(
      expect.arrayContaining(["default-src 'none'", "frame-ancestors 'none'", "form-action 'self'"]),
    );
    expect(api).toMatchObject({
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'cross-origin-resource-policy': 'same-origin',
      'referrer-policy': 'no-referrer',
    });
    expect(api['strict-transport-security']).toContain('max-age=');
  });

  it('upgrades insecure requests only when served over https', () => {
    expect(securityHeaders(true)['content-security-policy']).toContain('upgrade-insecure-requests');
    expect(securityHeaders(false)['content-security-policy']).not.toContain('upgrade-insecure-requests');
  });
});
