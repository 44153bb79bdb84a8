import { applyDecorators } from '@nestjs/common';
import { Type } from 'class-transformer';
import { ApiProperty, OmitType } from '@nestjs/swagger';
import {
  IsEmail,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { PASSWORD_MAX, PASSWORD_MIN } from '@referloop/identity';
import { ClinicDto, ClinicResponseDto } from '../clinics/clinic.dto';
import { CanonicalEmail, IsNotBlank, IsOptionalNotNull, OneLine } from '../http/validators';
import { UserResponseDto } from '../me/user.dto';
import { CreatePractitionerDto } from '../practitioners/practitioner.dto';

export { PASSWORD_MAX, PASSWORD_MIN };

/**
 * A password being chosen: 10 to 128 characters, not all of them white space (ten spaces guard nothing).
 * The service then refuses one too easy to guess (common, a sequence, the account's email: `PasswordPolicy`).
 */
export const IsNewPassword = (): PropertyDecorator =>
  applyDecorators(
    // The swagger plugin reads decorators written on the property only: the limits are stated for it.
    ApiProperty({
      type: String,
      minLength: PASSWORD_MIN,
      maxLength: PASSWORD_MAX,
      description:
        'Also refused (400 naming the field): a common password (one of the most used in breaches), one character or a ' +
        "short pattern repeated, a simple sequence (1234567890, abcdefghij), or one containing the account's email address " +
        '(or the part before the @, when 4 characters or longer)',
    }),
    IsString(),
    MinLength(PASSWORD_MIN),
    MaxLength(PASSWORD_MAX),
    Matches(/\S/, { message: '$property must not be only white space' }),
  );

/** The practice of a person who registers a clinic and works in it too (a solo practitioner). */
export class SoloPractitionerDto extends OmitType(CreatePractitionerDto, ['email', 'fullName'] as const) {}

export class AdminDto {
  @IsString()
  @IsEmail({}, { message: 'must be a valid email address' })
  @CanonicalEmail()
  @MaxLength(254)
  email: string;

  @IsNewPassword()
  password: string;

  @OneLine()
  @IsString()
  @IsNotBlank()
  @MaxLength(200)
  fullName: string;

  /** Also registers the person as a practitioner (admin and practitioner in one account). */
  @IsOptionalNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => SoloPractitionerDto)
  practitioner?: SoloPractitionerDto;
}

export class RegisterClinicDto {
  // @IsObject: @ValidateNested alone lets a missing object (and an array of them) through.
  @IsObject()
  @ValidateNested()
  @Type(() => ClinicDto)
  clinic: ClinicDto;

  @IsObject()
  @ValidateNested()
  @Type(() => AdminDto)
  admin: AdminDto;

  /**
   * The token of a referral invite's link (someone not on ReferLoop who was sent a referral): the
   * new practitioner (`admin.practitioner` required, with the invited role) becomes its recipient.
   * Single-use. The email may differ from the invited address: the link is the proof, not the address.
   */
  @IsOptional()
  @IsString()
  @IsNotBlank()
  @MaxLength(200)
  invitationToken?: string;
}

export class LoginDto {
  @IsString()
  @IsEmail({}, { message: 'must be a valid email address' })
  @CanonicalEmail()
  @MaxLength(254)
  email: string;

  @IsString()
  @IsNotEmpty()
  @MaxLength(PASSWORD_MAX)
  password: string;
}

export class RefreshDto {
  /** Required unless the web app's session cookie carries it. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  refreshToken?: string;
}

export class LinkTokenDto {
  /** The token of the emailed link. */
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  token: string;
}

export class AcceptInvitationDto extends LinkTokenDto {
  @IsNewPassword()
  password: string;
}

export class InvitationLinkDto {
  email: string;
  fullName: string;
}

export class TokensDto {
  accessToken: string;
  /** Always present, except for the web app (header `x-referloop-client: web`), which gets it as an httpOnly cookie. */
  refreshToken?: string;
  /** Access token lifetime in seconds. */
  expiresIn: number;
  user: UserResponseDto;
}

export class RegisteredClinicDto extends TokensDto {
  clinic: ClinicResponseDto;
}

export class PasswordResetDto {
  @IsString()
  @IsEmail({}, { message: 'must be a valid email address' })
  @CanonicalEmail()
  @MaxLength(254)
  email: string;
}

export class PasswordResetConfirmDto {
  /** The token from the reset link (`/reset-password#token=…`). */
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  token: string;

  @IsNewPassword()
  password: string;
}
