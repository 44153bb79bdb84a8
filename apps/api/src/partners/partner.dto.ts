import { IsUUID } from 'class-validator';
import { CanonicalId } from '../http/validators';
import { UserResponseDto } from '../me/user.dto';

/** The practitioner a partner is saved or removed by (`POST`, and `DELETE` with a body). */
export class PartnerPractitionerDto {
  @IsUUID('all', { message: 'must be a practitioner id (a UUID)' })
  @CanonicalId()
  practitionerId: string;
}

export class PartnerDto {
  practitionerId: string;
  createdAt: string;
  /** Null when the practitioner is no longer listed in the directory (e.g. their licence expired). */
  practitioner: UserResponseDto | null;
}

export class PartnerPageDto {
  items: PartnerDto[];
  nextCursor: string | null;
}
