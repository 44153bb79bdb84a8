import { registerClinic, startTestApp, type TestApp } from './support/test-app';

/** The Content-Security-Policy: strict for the web app, none at all for the API, Swagger UI's own at /api/docs. */
describe('content security policy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const directives = (csp: string) => new Map(csp.split(';').map((d) => [d.trim().split(' ')[0], d.trim()] as const));

  it.each([
    ['the web app', '/', 200],
    ['a client route of the web app', '/referrals/new', 200],
    ['the OpenAPI document', '/api/docs-json', 200],
    ['an unknown file', '/nothing-here.js', 404],
  ])('is strict on %s: no inline scripts or styles', async (_label, path, status) => {
    const res = await t.http.get(path).expect(status);
    const csp: string = res.headers['content-security-policy'];
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    const policy = directives(csp);
    expect(policy.get('script-src')).toBe("script-src 'self'");
    expect(policy.get('style-src')).toBe("style-src 'self'");
    expect(policy.get('object-src')).toBe("object-src 'none'");
    expect(policy.get('default-src')).toBe("default-src 'self'");
  });

  it.each([
    ['an API route', '/api/v1/me', 401],
    ['an unknown API path', '/api/v1/nothing-here', 404],
    ['the liveness check', '/health/live', 200],
  ])('lets nothing load in %s, nor frame it', async (_label, path, status) => {
    const res = await t.http.get(path).expect(status);
    const policy = directives(res.headers['content-security-policy']);
    expect(policy.get('default-src')).toBe("default-src 'none'");
    expect(policy.get('frame-ancestors')).toBe("frame-ancestors 'none'");
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'cache-control': 'no-store',
    });
  });

  it('serves the web app with no inline script or style in its page', async () => {
    const res = await t.http.get('/').expect(200);
    expect(res.text).toContain('<div id="root">');
    // Every script is a file (src=…), and the page has no <style> block or style attribute.
    expect(res.text.match(/<script(?![^>]*\bsrc=)[^>]*>/g)).toBeNull();
    expect(res.text).not.toMatch(/<style|\sstyle=/);
  });

  it('gives Swagger UI at /api/docs inline styles, and only there; scripts stay strict', async () => {
    const res = await t.http.get('/api/docs').expect(200);
    const policy = directives(res.headers['content-security-policy']);
    expect(policy.get('style-src')).toBe("style-src 'self' 'unsafe-inline'");
    expect(policy.get('script-src')).toBe("script-src 'self'");
    // Its page runs no inline script: every <script> is a file.
    expect(res.text.match(/<script(?![^>]*\bsrc=)[^>]*>/g)).toBeNull();
    const notDocs = await t.http.get('/api/docsx').expect(404);
    expect(notDocs.headers['content-security-policy']).not.toContain('unsafe-inline');
  });

  it('tells browsers and proxies to keep no API answer (they carry patient data), the web app’s files excepted', async () => {
    const clinic = await registerClinic(t.http);
    const patients = await t.http.get('/api/v1/patients').set(clinic.admin.auth).expect(200);
    expect(patients.headers['cache-control']).toBe('no-store');
    expect((await t.http.get('/api/v1/nothing-here').expect(404)).headers['cache-control']).toBe('no-store');
    expect((await t.http.get('/').expect(200)).headers['cache-control']).toBe('no-cache');
  });
});
