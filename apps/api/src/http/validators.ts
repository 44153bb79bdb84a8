import { TIMEZONES } from '@referloop/common';
import { ValidatorConstraint, type ValidatorConstraintInterface } from 'class-validator';

@ValidatorConstraint({ name: 'isTimezone' })
export class IsTimezone implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && TIMEZONES.has(value);
  }
  defaultMessage(): string {
    return 'must be an IANA time zone such as America/Chicago';
  }
}

/** Calendar date `YYYY-MM-DD` that exists (rejects 2025-02-30). */
@ValidatorConstraint({ name: 'isCalendarDate' })
export class IsCalendarDate implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
    const date = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
  }
  defaultMessage(): string {
    return 'must be a date in the form YYYY-MM-DD';
  }
}
