import { Field } from '../../components/Field';

export const PASSWORD_MIN = 10;
/** What a new password must be (the API refuses the rest, naming why). */
export const PASSWORD_HINT = `At least ${PASSWORD_MIN} characters; not a common password, a sequence like 1234567890, or your email address.`;

export interface NewPasswordErrors {
  password?: string;
  confirm?: string;
}

/** The checks a new password gets before it is sent (the API checks the length too). */
export function checkNewPassword(password: string, confirm: string): NewPasswordErrors {
  const errors: NewPasswordErrors = {};
  if (password.length < PASSWORD_MIN) errors.password = `Use at least ${PASSWORD_MIN} characters.`;
  if (confirm !== password) errors.confirm = 'The two passwords differ.';
  return errors;
}

/** "New password" and "Repeat the new password", with their errors next to them. */
export function NewPasswordFields({
  password,
  confirm,
  errors,
  onPassword,
  onConfirm,
}: {
  password: string;
  confirm: string;
  errors: NewPasswordErrors;
  onPassword: (value: string) => void;
  onConfirm: (value: string) => void;
}) {
  return (
    <>
      <Field label="New password" required hint={PASSWORD_HINT} error={errors.password}>
        {(p) => (
          <input
            {...p}
            type="password"
            name="newPassword"
            autoComplete="new-password"
            value={password}
            onChange={(e) => onPassword(e.target.value)}
          />
        )}
      </Field>
      <Field label="Repeat the new password" required error={errors.confirm}>
        {(p) => (
          <input
            {...p}
            type="password"
            name="confirmPassword"
            autoComplete="new-password"
            value={confirm}
            onChange={(e) => onConfirm(e.target.value)}
          />
        )}
      </Field>
    </>
  );
}
