import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { IsNewPassword, PASSWORD_MAX } from '../auth/auth.dto';

export class ChangePasswordDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(PASSWORD_MAX)
  currentPassword: string;

  @IsNewPassword()
  newPassword: string;
}

export class SessionDto {
  id: string;
  createdAt: string;
  /** Sign-in or the last refresh. */
  lastUsedAt: string | null;
  userAgent: string | null;
  /** The client's address at sign-in or the last refresh (as seen through TRUST_PROXY). */
  ip: string | null;
  /** The session of the access token that asked. */
  current: boolean;
}

export class SessionPageDto {
  items: SessionDto[];
  /** Null on the last page. */
  nextCursor: string | null;
}
