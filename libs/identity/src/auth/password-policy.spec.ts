import { AppError } from '@referloop/common';
import { PASSWORD } from '@referloop/testing/fixtures';
import { loadCommonPasswords, PASSWORD_MIN, PASSWORD_REFUSALS, PasswordPolicy, passwordRefusal } from './password-policy';

describe('password rules', () => {
  const common = loadCommonPasswords();
  const refusal = (password: string, email: string | null = 'dana.ortiz@sunrise-massage.example') =>
    passwordRefusal(password, { email, common });

  it('loads only the common passwords that could pass the length rule, in lower case', () => {
    expect(common.size).toBeGreaterThan(1000);
    expect([...common].every((p) => p.length >= PASSWORD_MIN && p === p.toLowerCase())).toBe(true);
    expect(common.has('password1234')).toBe(true);
    expect(common.has('123456')).toBe(false);
  });

  it('refuses common (breached) passwords, in any letter case', () => {
    for (const password of ['password1234', 'Password1234', 'qwertyuiop', 'iloveyou123', '  PASSWORD1234 ']) {
      expect({ password, refusal: refusal(password) }).toEqual({ password, refusal: PASSWORD_REFUSALS.common });
    }
    expect(PASSWORD_REFUSALS.common).toBe('is too common: choose a less guessable one');
  });

  it('refuses one character or a short pattern repeated', () => {
    for (const password of ['aaaaaaaaaa', '0000000000', 'ababababab', '123123123123', 'abcdabcdabcd', 'éééééééééé']) {
      expect({ password, refusal: refusal(password) }).toEqual({ password, refusal: PASSWORD_REFUSALS.repeated });
    }
    // A longer unit, or a pattern broken once, is not this rule's business.
    expect(refusal('abcdeabcde')).toBeNull();
    expect(refusal('aaaaaaaaab')).toBeNull();
  });

  it('refuses simple ascending or descending sequences of letters or digits (digits go round)', () => {
    for (const password of [
      '1234567890',
      '0987654321',
      '2345678901',
      'abcdefghij',
      'ZYXWVUTSRQ',
      'klmnopqrstu',
      '12345678901234',
    ]) {
      expect({ password, refusal: refusal(password) }).toEqual({ password, refusal: PASSWORD_REFUSALS.sequence });
    }
    expect(refusal('1234567093')).toBeNull();
    expect(refusal('abcdefghik')).toBeNull();
  });

  it("refuses the account's email address, or its local part of 4 or more characters, anywhere in the password", () => {
    const email = 'Dana.Ortiz@Sunrise-Massage.example';
    expect(refusal('dana.ortiz@sunrise-massage.example', email)).toBe(PASSWORD_REFUSALS.containsEmail);
    expect(refusal('my DANA.ORTIZ@sunrise-massage.EXAMPLE!', email)).toBe(PASSWORD_REFUSALS.containsEmail);
    expect(refusal('dana.ortiz-rocks-2024', email)).toBe(PASSWORD_REFUSALS.containsEmail);
    expect(PASSWORD_REFUSALS.containsEmail).toBe('must not contain your email address');
    // A short local part is too likely to be a word of any password.
    expect(refusal('bob-paints-fences-blue', 'bob@example.com')).toBeNull();
    expect(refusal('bob@example.com-again', 'bob@example.com')).toBe(PASSWORD_REFUSALS.containsEmail);
    // Without a known address, only the other rules apply.
    expect(refusal('dana.ortiz-rocks-2024', null)).toBeNull();
  });

  it('accepts passwords that are none of these, the fixtures among them', () => {
    for (const password of [
      PASSWORD,
      'bench-password-1',
      'chaos-password-1',
      'a-brand-new-passphrase',
      'tangerine moss 47 kiln',
    ]) {
      expect({ password, refusal: refusal(password) }).toEqual({ password, refusal: null });
    }
  });

  it('as a provider, answers 400 validation_failed naming the field with the reason', () => {
    const policy = new PasswordPolicy();
    policy.onModuleInit();
    expect(() => policy.check('admin.password', 'tangerine moss 47 kiln', 'dana@example.com')).not.toThrow();
    let thrown: unknown;
    try {
      policy.check('newPassword', 'password1234', 'dana@example.com');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(AppError);
    expect(thrown).toMatchObject({
      code: 'validation_failed',
      extensions: { errors: [{ field: 'newPassword', message: PASSWORD_REFUSALS.common }] },
    });
  });
});
