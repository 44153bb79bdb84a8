import type { PractitionerRole } from '@referloop/common';
import { InvitationDto } from '../practitioners/practitioner.dto';

export class InvitationItemDto {
  id: string;
  email: string;
  fullName: string;
  role: PractitionerRole;
  status: 'pending' | 'accepted' | 'expired' | 'revoked';
  createdAt: string;
  expiresAt: string;
}

export class InvitationPageDto {
  items: InvitationItemDto[];
  nextCursor: string | null;
}

export class ResentInvitationDto {
  invitation: InvitationDto;
}
