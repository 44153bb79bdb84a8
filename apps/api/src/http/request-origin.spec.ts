import type { FastifyRequest } from 'fastify';
import { requestOrigin } from './request-origin';

const request = (protocol: string, host: string) => ({ protocol, host }) as unknown as FastifyRequest;

describe('requestOrigin', () => {
  it('answers the scheme and host the request came in on', () => {
    expect(requestOrigin(request('http', '192.168.1.20:3000'))).toBe('http://192.168.1.20:3000');
    expect(requestOrigin(request('https', 'clinic.example'))).toBe('https://clinic.example');
    expect(requestOrigin(request('http', '[::1]:3000'))).toBe('http://[::1]:3000');
  });

  it('refuses a host that is not one (no paths, credentials or spaces smuggled into links)', () => {
    for (const host of ['evil.example/phish', 'user@evil.example', 'a b', '', 'evil.example:port', 'x.example:3000/']) {
      expect(requestOrigin(request('http', host))).toBeNull();
    }
  });
});
