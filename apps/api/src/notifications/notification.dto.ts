import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  Equals,
  IsBoolean,
  IsIn,
  IsOptional,
  IsUrl,
  MaxLength,
  Validate,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
  IsString,
} from 'class-validator';
import { WEBHOOK_EVENT_TYPES } from '@referloop/notifications';
import { PageQueryDto, queryBoolean } from '../http/page-query.dto';

export class InboxQueryDto extends PageQueryDto {
  /** Only unread notifications. */
  @IsOptional()
  @Transform(queryBoolean)
  @IsBoolean({ message: 'must be true or false' })
  unread?: boolean;
}

export class NotificationDto {
  id: string;
  userId: string;
  type: string;
  referralId: string | null;
  title: string;
  body: string;
  readAt: string | null;
  createdAt: string;
}

export class NotificationPageDto {
  items: NotificationDto[];
  nextCursor: string | null;
  /** Unread notifications in total (for the bell). */
  unreadCount: number;
}

export class PreferencesDto {
  /** Always true: in-app notifications cannot be turned off. */
  inApp: true;
  email: boolean;
  emailAvailable: boolean;
}

/** What GET answers may be sent back as it is: `inApp` (only `true`) and `emailAvailable` (set by the deployment) change nothing. */
export class UpdatePreferencesDto {
  @IsBoolean()
  email: boolean;

  @IsOptional()
  @Equals(true, { message: 'must be true: in-app notifications cannot be turned off' })
  inApp?: true;

  /** Read only: whether this deployment sends email at all; when sent, it must be what GET answered (else 400). */
  @IsOptional()
  @IsBoolean()
  emailAvailable?: boolean;
}

/** `*` with other types would name some events twice: a receiver would get those in two deliveries. */
@ValidatorConstraint({ name: 'allEventsAlone' })
class AllEventsAlone implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return !Array.isArray(value) || value.length < 2 || !value.includes('*');
  }
  defaultMessage(): string {
    return 'must be ["*"] alone (every event) or a list of event types without "*"';
  }
}

export class CreateWebhookDto {
  /** An https URL (http only for hosts on the deployment's allow-list). */
  @IsString()
  @IsUrl({ protocols: ['https', 'http'], require_protocol: true, require_tld: false }, { message: 'must be an http(s) URL' })
  @MaxLength(2000)
  url: string;

  /** Event types, e.g. `referral.sent`, `referral.accepted`, or `*` alone for all. */
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  @Validate(AllEventsAlone)
  eventTypes: string[];
}

export class WebhookDto {
  id: string;
  clinicId: string;
  url: string;
  eventTypes: string[];
  createdAt: string;
  /** Returned once, by the create: the HMAC-SHA256 key for `X-ReferLoop-Signature`. */
  secret?: string;
}

export class WebhookListDto {
  items: WebhookDto[];
  /** Always null: a clinic has few webhooks, they come in one page. */
  nextCursor: string | null;
}

export class FailedDeliveryDto {
  id: string;
  channel: string;
  notificationType: string;
  referralId: string | null;
  userId: string | null;
  webhookId: string | null;
  attempts: number;
  lastError: string | null;
  retryCount: number;
  createdAt: string;
  failedAt: string | null;
}

export class FailedDeliveryPageDto {
  items: FailedDeliveryDto[];
  nextCursor: string | null;
}

export class EmailPreviewDto {
  /** The referral event (`sent`, `scheduled` …), or `invitation` / `password_reset`. */
  event: string;
  /**
   * Who gets it: `sender`, `recipient`, `recipient_admins`, `sender_by_admin` / `recipient_by_admin`
   * (that side's practitioner, when an admin of their clinic took the action for them),
   * `sender_previous` / `recipient_previous` (the practitioner a reassignment took that side from),
   * `patient`, `invited_practitioner`, `account_holder`.
   */
  audience: string;
  /** The channels it goes out on (`in_app`, `email`, `patient_email`); webhooks carry ids only. */
  channels: string[];
  subject: string;
  text: string;
  html: string;
}

export class EmailPreviewListDto {
  items: EmailPreviewDto[];
  /** Always null: every sample comes in one page. */
  nextCursor: string | null;
}
