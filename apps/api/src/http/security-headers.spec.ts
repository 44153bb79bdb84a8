import { cspProfileFor, securityHeaders } from './security-headers';

describe('cspProfileFor', () => {
  it.each([
    ['/', 'strict'],
    ['/admin/practitioners', 'strict'],
    ['/api/v1/referrals?status=sent', 'strict'],
    ['/api/docs-json', 'strict'],
    ['/api/docsx', 'strict'],
    ['/admin/queuesx', 'strict'],
    ['/api/docs', 'swagger-ui'],
    ['/api/docs/', 'swagger-ui'],
    ['/api/docs/swagger-ui-init.js', 'swagger-ui'],
    ['/admin/queues', 'operator-dashboard'],
    ['/admin/queues/api/queues?page=1', 'operator-dashboard'],
  ])('%s → %s', (url, profile) => {
    expect(cspProfileFor(url)).toBe(profile);
  });
});

describe('securityHeaders', () => {
  it('allows no inline script anywhere but Swagger UI, and inline styles only on the operator pages', () => {
    expect(securityHeaders(false, 'strict')['content-security-policy']).not.toContain('unsafe-inline');
    const dashboard = securityHeaders(false, 'operator-dashboard')['content-security-policy'];
    expect(dashboard).toContain("script-src 'self';");
    expect(dashboard).toContain("style-src 'self' 'unsafe-inline'");
  });

  it('upgrades insecure requests only when served over https', () => {
    expect(securityHeaders(true)['content-security-policy']).toContain('upgrade-insecure-requests');
    expect(securityHeaders(false)['content-security-policy']).not.toContain('upgrade-insecure-requests');
  });
});
