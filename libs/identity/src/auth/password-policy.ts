import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AppError } from '@referloop/common';

/** The length of a password being chosen (checked by the API's DTOs, before the rules below). */
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 128;

/** Why a password is refused, as the field's message says it. */
export const PASSWORD_REFUSALS = {
  containsEmail: 'must not contain your email address',
  repeated: 'is one character or a short pattern repeated: choose a less guessable one',
  sequence: 'is a simple sequence (like 1234567890 or abcdefghij): choose a less guessable one',
  common: 'is too common: choose a less guessable one',
} as const;

/** The shortest local part of an email (before the @) that a password may not contain. */
const MIN_LOCAL_PART = 4;
/** A unit this long or shorter, repeated, is a pattern ("ababab…", "123123…", "abcdabcd…"). */
const MAX_REPEATED_UNIT = 4;

/**
 * Why `password` is too easy to guess, or null when it is not. `email` is the account's address;
 * `common` a set of lower-case common (breached) passwords. Length is checked before, by the DTOs.
 * The one rule for every path that sets a password (sign-up, invitation, reset, change).
 */
export function passwordRefusal(
  password: string,
  context: { email: string | null | undefined; common: ReadonlySet<string> },
): string | null {
  const lower = password.toLowerCase();
  if (context.email && containsEmail(lower, context.email.trim().toLowerCase())) return PASSWORD_REFUSALS.containsEmail;
  // Letter case and surrounding white space add nothing a guesser would not try.
  const plain = lower.trim();
  if (isRepeated(plain)) return PASSWORD_REFUSALS.repeated;
  if (isSequence(plain)) return PASSWORD_REFUSALS.sequence;
  if (context.common.has(plain)) return PASSWORD_REFUSALS.common;
  return null;
}

function containsEmail(password: string, email: string): boolean {
  if (email.length === 0) return false;
  if (password.includes(email)) return true;
  const local = email.slice(0, Math.max(0, email.lastIndexOf('@')));
  return local.length >= MIN_LOCAL_PART && password.includes(local);
}

/** One character, or a unit of up to MAX_REPEATED_UNIT characters, repeated all along. */
function isRepeated(password: string): boolean {
  const chars = [...password];
  for (let unit = 1; unit <= MAX_REPEATED_UNIT && unit < chars.length; unit++) {
    if (chars.every((c, i) => c === chars[i % unit])) return true;
  }
  return false;
}

/**
 * Each character one after (or one before) the previous one, all the way: "abcdefghij",
 * "zyxwvutsrq", "1234567890" and "0987654321" (digits go round: 9 is followed by 0).
 */
function isSequence(password: string): boolean {
  const codes = [...password].map((c) => c.codePointAt(0)!);
  if (codes.length < 3) return false;
  const next = (a: number, b: number, step: 1 | -1) => {
    if (b - a === step) return true;
    const digit = (x: number) => x >= 48 && x <= 57;
    return digit(a) && digit(b) && (b - a + 10) % 10 === (step + 10) % 10;
  };
  return ([1, -1] as const).some((step) => codes.every((c, i) => i === 0 || next(codes[i - 1], c, step)));
}

/**
 * The common passwords that could pass the length rule, lower-case: the list of
 * `@zxcvbn-ts/language-common` (49k passwords seen most often in breaches; about 1.5k of them are
 * PASSWORD_MIN characters or longer, and only those are kept).
 */
export function loadCommonPasswords(minLength = PASSWORD_MIN): ReadonlySet<string> {
  // Loaded on first use, not when the library is imported: the worker imports this library too and never needs it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { dictionary } = require('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
  return new Set(dictionary['passwords-common'].filter((p) => p.length >= minLength).map((p) => p.toLowerCase()));
}

/** The password rules as a provider: the list is read once, when the API starts. */
@Injectable()
export class PasswordPolicy implements OnModuleInit {
  private common: ReadonlySet<string> | undefined;

  onModuleInit(): void {
    this.common ??= loadCommonPasswords();
  }

  /** Refuses (400 naming `field`, e.g. `admin.password`) a password that is too easy to guess for the account of `email`. */
  check(field: string, password: string, email: string | null | undefined): void {
    this.common ??= loadCommonPasswords();
    const refusal = passwordRefusal(password, { email, common: this.common });
    if (refusal) throw AppError.validation([{ field, message: refusal }]);
  }
}
