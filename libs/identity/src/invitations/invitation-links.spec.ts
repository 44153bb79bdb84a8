import { invitationToken, invitationUrl } from '../auth/secret-token';
import { invitationStatus } from './invitations.service';

const SECRET = 'a-server-secret-of-at-least-32-characters';
const ID = '00000000-0000-4000-8000-000000000001';

describe('invitationStatus', () => {
  const now = new Date('2030-01-10T12:00:00Z');
  const open = { acceptedAt: null, revokedAt: null, expiresAt: new Date('2030-01-11T00:00:00Z'), inviteeDeactivated: false };

  it('is pending until it expires, then expired', () => {
    expect(invitationStatus(open, now)).toBe('pending');
    expect(invitationStatus({ ...open, expiresAt: now }, now)).toBe('expired');
  });

  it('says accepted or revoked whatever the expiry', () => {
    expect(invitationStatus({ ...open, acceptedAt: now, expiresAt: new Date(0) }, now)).toBe('accepted');
    expect(invitationStatus({ ...open, revokedAt: now, expiresAt: new Date(0) }, now)).toBe('revoked');
  });

  it('says revoked while the invitee is deactivated, and accepted once they joined', () => {
    expect(invitationStatus({ ...open, inviteeDeactivated: true }, now)).toBe('revoked');
    expect(invitationStatus({ ...open, inviteeDeactivated: true, acceptedAt: now }, now)).toBe('accepted');
  });
});

describe('invitation tokens and links', () => {
  it('gives each token version of an invitation its own token, the same for the same version', () => {
    const first = invitationToken(SECRET, ID, 1);
    expect(invitationToken(SECRET, ID, 1)).toBe(first);
    expect(invitationToken(SECRET, ID, 2)).not.toBe(first);
    expect(invitationToken(`${SECRET}-other`, ID, 1)).not.toBe(first);
  });

  it('builds links under PUBLIC_URL when set, else under the address the invitation was made on', () => {
    const set = { publicUrl: 'https://app.example', publicUrlConfigured: true };
    const unset = { publicUrl: 'http://localhost:3000', publicUrlConfigured: false };
    expect(invitationUrl(set, 'http://10.0.0.5:3000', 'a+b')).toBe('https://app.example/accept-invitation#token=a%2Bb');
    expect(invitationUrl(unset, 'http://10.0.0.5:3000', 't')).toBe('http://10.0.0.5:3000/accept-invitation#token=t');
    expect(invitationUrl(unset, null, 't')).toBe('http://localhost:3000/accept-invitation#token=t');
  });
});
