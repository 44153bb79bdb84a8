import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { AppError, type FieldError } from '@referloop/common';
import { rememberRuleLookups } from './validation-rules';

/** Constraints that say one of two fields is missing: their message says which to give. */
const PRESENCE_CONSTRAINTS: ReadonlySet<string> = new Set(['oneFrequency']);
/** Constraints on the value's type: when one fails, "must not be less than 1" about `"1"` only misleads. */
const TYPE_CONSTRAINTS: ReadonlySet<string> = new Set(['isInt', 'isNumber', 'isString', 'isBoolean', 'isArray', 'isObject']);

/**
 * The messages worth saying about one field: which of two is missing, else that it is missing (a
 * left-out field reaches the rules only when it is required), else what type it must be, else
 * every rule it broke.
 */
function fieldMessages(error: ValidationError): string[] {
  const constraints = error.constraints ?? {};
  const names = Object.keys(constraints);
  if (names.length === 0) return [];
  if (error.value === undefined && !names.some((name) => PRESENCE_CONSTRAINTS.has(name))) return ['is required'];
  const first = [PRESENCE_CONSTRAINTS, TYPE_CONSTRAINTS].find((kind) => names.some((name) => kind.has(name)));
  return names.filter((name) => !first || first.has(name)).map((name) => constraints[name]);
}

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = fieldMessages(error).map((message) => ({
      field,
      // class-validator prefixes messages with the property name; keep the full path instead.
      message: message.startsWith(`${error.property} `) ? message.slice(error.property.length + 1) : message,
    }));
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * The names every object has (`constructor`, `toString`, `hasOwnProperty`, …). class-validator's
 * allow-list looks fields up in a plain object, where these names are always found, so an unknown
 * field with one of them got through `forbidNonWhitelisted`: no DTO declares one, so they are refused here.
 */
const OBJECT_MEMBER_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * Half of a UTF-16 surrogate pair on its own, which a JSON string can spell (`"\ud800"`): it has
 * no UTF-8 form, so PostgreSQL refuses it in jsonb (a 500, and the value in its server log) and
 * the driver turns it into U+FFFD in text.
 */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * More entries than any array or object of a request has (the longest list, the body regions, is
 * 30; the widest object has fewer than 20 fields). class-validator's ArrayUnique and
 * class-transformer's list of keys take time in the square of the entries: a 1 MB body of 60,000
 * distinct strings in one list held the process for ~6 s, and 50,000 unknown fields were 50,000 errors.
 */
export const MAX_INPUT_ENTRIES = 100;

/**
 * The first part of a request's input that is refused before class-validator sees it: an array or
 * object of more than {@link MAX_INPUT_ENTRIES} entries, a string holding a NUL character
 * (PostgreSQL cannot store one in text) or a lone surrogate, or a field named like a member of
 * every object. Undefined when there is none.
 */
function refusedPart(value: unknown, path: string): FieldError | undefined {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return { field: path, message: 'must not contain NUL characters' };
    return LONE_SURROGATE.test(value) ? { field: path, message: 'must be valid Unicode text' } : undefined;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length > MAX_INPUT_ENTRIES) {
      const what = Array.isArray(value) ? 'elements' : 'fields';
      return { field: path, message: `has more than ${MAX_INPUT_ENTRIES} ${what}` };
    }
    for (const [key, child] of entries) {
      const field = path ? `${path}.${key}` : key;
      if (!Array.isArray(value) && OBJECT_MEMBER_NAMES.has(key)) return { field, message: `property ${key} should not exist` };
      const found = refusedPart(child, field);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Rejects a JSON body that is not an object (`null` would otherwise validate as `{}`) and the
 * parts {@link refusedPart} names, before class-validator sees them.
 */
class ApiValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (
      metadata.type === 'body' &&
      value !== undefined &&
      (value === null || typeof value !== 'object' || Array.isArray(value))
    ) {
      throw AppError.validation([{ field: 'body', message: 'must be a JSON object' }]);
    }
    // A parameter given twice is a list to the query parser: where the DTO takes one value, its
    // refusal read "must be an integer number" for `limit=1&limit=2`. A list parameter (`status`)
    // takes repeats, as OpenAPI clients send arrays.
    if (metadata.type === 'query' && metadata.metatype && value && typeof value === 'object') {
      const dto = metadata.metatype.prototype as object;
      const repeated = Object.entries(value).find(
        ([name, given]) => Array.isArray(given) && Reflect.getMetadata('design:type', dto, name) !== Array,
      );
      if (repeated) throw AppError.validation([{ field: repeated[0], message: 'must be sent once' }]);
    }
    if (metadata.type === 'body' || metadata.type === 'query' || metadata.type === 'param') {
      const refused = refusedPart(value, metadata.type === 'param' ? (metadata.data ?? '') : '');
      if (refused) throw AppError.validation([{ ...refused, field: refused.field || metadata.type }]);
    }
    return super.transform(value, metadata);
  }
}

/** Global validation: strip nothing silently (unknown fields are a 400), convert types, name each field. */
export function createValidationPipe(): ValidationPipe {
  // Rule lookups, Nest's own for its binary-value check included, are kept (validation-rules.ts).
  rememberRuleLookups();
  return new ApiValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    // The value stays in the pipe (it only tells a left-out field apart); answers and logs never carry it.
    validationError: { target: false, value: true },
    exceptionFactory: (errors) => AppError.validation(flatten(errors)),
  });
}
