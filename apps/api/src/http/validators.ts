import { domainToASCII } from 'node:url';
import { Clock, TIMEZONES } from '@referloop/common';
import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import {
  Matches,
  ValidateBy,
  ValidateIf,
  type ValidationOptions,
  ValidatorConstraint,
  type ValidatorConstraintInterface,
} from 'class-validator';

/**
 * The field may be left out, but when present it is validated, `null` included. (`@IsOptional()`
 * also lets `null` through, which a NOT NULL column then answers with a 500.)
 */
export const IsOptionalNotNull = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined);

/**
 * A character that shows something on its own: not white space, not an invisible format character
 * (a zero-width space, a BOM, direction marks), not a mark that only changes the letter before it
 * (a combining accent, a variation selector, the grapheme joiner), not a blank that is a letter
 * only in name (the Hangul fillers, the blank braille pattern).
 */
export const VISIBLE_CHARACTER = /[^\s\p{Cf}\p{M}\u115F\u1160\u3164\uFFA0\u2800]/u;

/** Text someone has to write: "   " is as empty as "" (same message), and so is text of only invisible characters. */
export const IsNotBlank = (options: Pick<ValidationOptions, 'each'> = {}): PropertyDecorator =>
  Matches(VISIBLE_CHARACTER, { ...options, message: '$property should not be empty' });

/**
 * Line breaks (the Unicode line and paragraph separators too), tabs and other control characters,
 * and the bidi controls that make text read in another order than it is stored ("\u202Egnp.exe"
 * shows as "exe.png").
 */
const NOT_ONE_LINE = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;

/**
 * One line of text that others read (names, addresses, licence details: shown to other clinics
 * and in email subjects): stored without the spaces around it (" Smith" sorted before everyone and
 * printed with a gap), and refused with control or direction-override characters. The trimming runs
 * before validation, so "   " is still refused as empty.
 */
export const OneLine = (): PropertyDecorator =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value)),
    ValidateBy({
      name: 'isOneLine',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !NOT_ONE_LINE.test(value),
        defaultMessage: () => 'must be one line of text, without control characters',
      },
    }),
  );

/**
 * An email address in one spelling, so that the unique index and sign-in see one string per
 * mailbox: composed accents (NFC: "josé" pasted from a decomposed source is "e" + U+0301, another
 * string) and an international domain in its ASCII form (xn--…), the form a browser's email field
 * sends. Invisible format characters left after that (a zero-width space pasted into the part
 * before the @; IDNA mapping drops them from a domain) are refused: the address looks right but is
 * another one, which no mail reaches. Goes with `@IsEmail()`, which checks the rest.
 */
export const CanonicalEmail = (): PropertyDecorator =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? canonicalEmail(value) : value)),
    ValidateBy({
      name: 'hasNoInvisibleCharacters',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !/\p{Cf}/u.test(value),
        defaultMessage: () => 'must not contain invisible characters',
      },
    }),
  );

/**
 * An id in the one spelling the API stores, answers and compares: lower case. UUIDs are
 * case-insensitive, so ABC… names the same row as abc… and must pass the same "is it yours" checks.
 * Goes with `@IsUUID()`, which checks the rest (as `uuidParam` does for path ids).
 */
export const CanonicalId = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value));

/** The one spelling of an address {@link CanonicalEmail} stores and compares (letter case aside). */
export function canonicalEmail(value: string): string {
  const composed = value.normalize('NFC');
  const at = composed.lastIndexOf('@');
  const domain = composed.slice(at + 1);
  // ASCII domains stay as written (letter case included); one that is no valid IDN stays too, for @IsEmail to refuse.
  if (at < 0 || /^[\p{ASCII}]*$/u.test(domain)) return composed;
  const ascii = domainToASCII(domain);
  return ascii ? `${composed.slice(0, at)}@${ascii}` : composed;
}

/** An IANA zone name's shape: `Area/Location`, e.g. Asia/Kolkata, America/Argentina/Buenos_Aires, Etc/UTC. */
const IANA_ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){1,2}$/;

/**
 * One part of a zone name as the IANA database writes it: capitalised words (Buenos_Aires,
 * ComodRivadavia, Port-au-Prince) or one of its few capitals-only names (US, UTC, GMT+5). Intl
 * ignores letter case, so this is what keeps asia/kolkata and ETC/UTC out.
 */
const IANA_ZONE_PART =
  /^(?:[A-Z][a-z][A-Za-z0-9]*(?:[_-](?:[A-Z][a-z][A-Za-z0-9]*|[a-z]{1,3}))*|US|UTC|UCT|GMT(?:[+-]\d{1,2}|0)?)$/;

/**
 * A zone Intl formats, spelled as the IANA database spells it. Intl's own list names ICU's
 * canonical spellings (Asia/Calcutta, Europe/Kiev), so the IANA ones that superseded them
 * (Asia/Kolkata, Europe/Kyiv: what tzdata, Firefox, Safari and most API clients send) are asked
 * of Intl itself, in the IANA database's letter case (Intl ignores case: america/new_york and
 * asia/kolkata are refused rather than stored as typed).
 */
export function isTimeZone(value: string): boolean {
  if (TIMEZONES.has(value)) return true;
  if (value.length > 64 || !IANA_ZONE_NAME.test(value) || !value.split('/').every((part) => IANA_ZONE_PART.test(part)))
    return false;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return false;
  }
  return resolved === value || resolved.toLowerCase() !== value.toLowerCase();
}

@ValidatorConstraint({ name: 'isTimezone' })
export class IsTimezone implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && isTimeZone(value);
  }
  defaultMessage(): string {
    return 'must be an IANA time zone such as America/Chicago';
  }
}

/**
 * A finite number with at most `places` decimals. (class-validator's `maxDecimalPlaces` splits the
 * number's text on ".", so 1e-7 threw inside validation: a 500.)
 */
export const HasAtMostDecimals = (places: number): PropertyDecorator =>
  ValidateBy({
    name: 'hasAtMostDecimals',
    validator: {
      // The number is its own rounding to `places` decimals (0.07 is; 6.255, 1e-7 and 5e-324 are not).
      validate: (value: unknown) =>
        typeof value === 'number' && Number.isFinite(value) && Number(value.toFixed(places)) === value,
      defaultMessage: () => `$property must be a number with at most ${places} decimal places`,
    },
  });

/**
 * The dates the API takes at all: before or after them a date is a typo (0001-01-01, 9999-12-31),
 * not a licence, a deadline or a report window, and the far ends do not survive time-zone
 * arithmetic (a day after 9999-12-31 has no four-digit year). Fields with a tighter rule add it.
 */
export const DATE_RANGE = { earliest: '1900-01-01', latest: '2199-12-31' } as const;

const inDateRange = (day: string): boolean => day >= DATE_RANGE.earliest && day <= DATE_RANGE.latest;

/** Calendar date `YYYY-MM-DD` that exists (rejects 2025-02-30), within {@link DATE_RANGE}. */
@ValidatorConstraint({ name: 'isCalendarDate' })
export class IsCalendarDate implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || !inDateRange(value)) return false;
    const date = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
  }
  defaultMessage(): string {
    return `must be a date in the form YYYY-MM-DD, from ${DATE_RANGE.earliest} to ${DATE_RANGE.latest}`;
  }
}

/**
 * An ISO 8601 date-time that names its zone (`Z` or an offset), e.g. 2026-03-01T15:30:00-06:00.
 * Up to nine fraction digits, as .NET (seven), Java and Go (nine) write them.
 */
export const ISO_DATE_TIME_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

@ValidatorConstraint({ name: 'isZonedDateTime' })
export class IsZonedDateTime implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    // The calendar check refuses what Date would roll over (2026-02-30 → March 2).
    return (
      typeof value === 'string' &&
      ISO_DATE_TIME_WITH_ZONE.test(value) &&
      new IsCalendarDate().validate(value.slice(0, 10)) &&
      Number(value.slice(11, 13)) < 24 &&
      Number(value.slice(14, 16)) < 60 &&
      !Number.isNaN(new Date(value).getTime())
    );
  }
  defaultMessage(): string {
    return `must be an ISO 8601 date-time with a time zone, e.g. 2026-03-01T15:30:00Z, from ${DATE_RANGE.earliest} to ${DATE_RANGE.latest}`;
  }
}

/** A window's bound: a calendar date (a day in the clinic's zone) or a date-time with its zone. */
@ValidatorConstraint({ name: 'isDateOrZonedDateTime' })
export class IsDateOrZonedDateTime implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return new IsCalendarDate().validate(value) || new IsZonedDateTime().validate(value);
  }
  defaultMessage(): string {
    return `must be a date (YYYY-MM-DD) or an ISO 8601 date-time with a time zone, e.g. 2026-03-01T15:30:00Z, from ${DATE_RANGE.earliest} to ${DATE_RANGE.latest}`;
  }
}

/** How far the clocks furthest ahead (Pacific/Kiritimati, UTC+14) are ahead of UTC. */
const LATEST_ZONE_AHEAD_MS = 14 * 3600_000;

/**
 * A calendar date not after today where it is latest (UTC+14): a date of birth, an onset. A date
 * typed is a day on the clinic's calendar, and the morning in Sydney or Auckland is still
 * yesterday in UTC, so a UTC bound refused an injury of this morning there as "in the future".
 * Today is the application's Clock's: class-validator makes its constraints itself, so this one
 * asks a Clock of its own (the same clock; a test that moves Clock moves it too).
 */
@ValidatorConstraint({ name: 'isPastCalendarDate' })
export class IsPastCalendarDate implements ValidatorConstraintInterface {
  private readonly clock = new Clock();

  validate(value: unknown): boolean {
    const latestToday = new Date(this.clock.now().getTime() + LATEST_ZONE_AHEAD_MS).toISOString().slice(0, 10);
    return new IsCalendarDate().validate(value) && (value as string) <= latestToday;
  }
  defaultMessage(): string {
    return `must be a date in the form YYYY-MM-DD, from ${DATE_RANGE.earliest} on and not in the future`;
  }
}
