import { getMetadataStorage, IsInt, IsOptional, IsString, ValidateNested, validateSync } from 'class-validator';
import { version as installedClassValidatorVersion } from 'class-validator/package.json';
import { Type } from 'class-transformer';
import { CreateReferralDto } from '../referrals/referral.dto';
import { REMEMBERED_RULES_VERSION, rememberRuleLookups } from './validation-rules';

const storage = getMetadataStorage();
/** class-validator's own lookups (the methods of its storage's class, which the remembered ones shadow). */
const own = Object.getPrototypeOf(storage) as typeof storage;

class Address {
  @IsString()
  city!: string;
}

class Person {
  @IsString()
  name!: string;

  @IsOptional()
  @ValidateNested()
  @Type(() => Address)
  address?: Address;
}

class Employee extends Person {
  @IsInt()
  badge!: number;
}

describe('remembered rule lookups', () => {
  beforeAll(() => {
    expect(rememberRuleLookups()).toBe(true);
  });

  it('is installed on the class-validator version it was checked against, and only there', () => {
    // An upgrade fails here: read MetadataStorage.getTargetValidationMetadatas and groupByPropertyName
    // again (they must depend on their arguments and the registered rules alone), then move the version.
    expect(installedClassValidatorVersion).toBe(REMEMBERED_RULES_VERSION);
    expect(rememberRuleLookups('0.15.2')).toBe(false);
  });

  it("answers class-validator's own rules, inherited ones included, and the same list every time", () => {
    for (const target of [CreateReferralDto, Person, Employee, Address]) {
      const remembered = storage.getTargetValidationMetadatas(target, undefined as never, false, false);
      expect(remembered).toEqual(own.getTargetValidationMetadatas.call(storage, target, undefined as never, false, false));
      expect(storage.getTargetValidationMetadatas(target, undefined as never, false, false)).toBe(remembered);
      expect(storage.groupByPropertyName(remembered)).toEqual(own.groupByPropertyName.call(storage, remembered));
      expect(storage.groupByPropertyName(remembered)).toBe(storage.groupByPropertyName(remembered));
    }
    const employee = storage.getTargetValidationMetadatas(Employee, undefined as never, false, false);
    expect(new Set(employee.map((rule) => rule.propertyName))).toEqual(new Set(['name', 'address', 'badge']));
  });

  it('keeps lookups per option: `always` and validation groups give their own answers', () => {
    const always = storage.getTargetValidationMetadatas(Person, undefined as never, true, false);
    expect(always).toEqual(own.getTargetValidationMetadatas.call(storage, Person, undefined as never, true, false));
    const grouped = storage.getTargetValidationMetadatas(Person, undefined as never, false, false, ['admin']);
    expect(grouped).toEqual(own.getTargetValidationMetadatas.call(storage, Person, undefined as never, false, false, ['admin']));
    expect(grouped).toEqual([]);
  });

  it('forgets what it kept when a rule is registered (a class defined later)', () => {
    const before = storage.getTargetValidationMetadatas(Employee, undefined as never, false, false);
    IsString()(Employee.prototype, 'title');
    const after = storage.getTargetValidationMetadatas(Employee, undefined as never, false, false);
    expect(after).not.toBe(before);
    expect(after.map((rule) => rule.propertyName)).toContain('title');
  });

  it('validates as class-validator does: nested and inherited rules, unknown fields refused', () => {
    const employee = Object.assign(new Employee(), {
      name: 3,
      badge: 'x',
      title: 'Dr',
      address: Object.assign(new Address(), { city: 4 }),
    });
    const errors = validateSync(employee, { whitelist: true, forbidNonWhitelisted: true });
    expect(errors.map((error) => error.property).sort()).toEqual(['address', 'badge', 'name']);
    expect(errors.find((error) => error.property === 'address')?.children?.[0].property).toBe('city');
    const unknown = validateSync(Object.assign(new Person(), { name: 'a', extra: 1 }), {
      whitelist: true,
      forbidNonWhitelisted: true,
    });
    expect(unknown.map((error) => error.property)).toEqual(['extra']);
    // Its lists are only read: validating left the kept ones as class-validator answers them.
    expect(storage.getTargetValidationMetadatas(Person, undefined as never, false, false)).toEqual(
      own.getTargetValidationMetadatas.call(storage, Person, undefined as never, false, false),
    );
  });
});
