import { cspProfileFor, securityHeaders } from './security-headers';

describe('cspProfileFor', () => {
  it.each([
    ['/', 'strict'],
    ['/admin/practitioners', 'strict'],
    ['/api/v1/referrals?status=sent', 'strict'],
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
    expect(cspProfileFor(url)).toBe(profile);
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

  it('upgrades insecure requests only when served over https', () => {
    expect(securityHeaders(true)['content-security-policy']).toContain('upgrade-insecure-requests');
    expect(securityHeaders(false)['content-security-policy']).not.toContain('upgrade-insecure-requests');
  });
});
