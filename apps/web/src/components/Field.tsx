import { type ReactNode, useId } from 'react';
import { ApiError } from '../api/problem';

interface FieldProps {
  label: string;
  hint?: ReactNode;
  error?: string;
  required?: boolean;
  className?: string;
  /** Renders the control with the ids that tie it to its label, hint and error. */
  children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean; required?: boolean }) => ReactNode;
}

/** A labelled form control with its hint and error message. */
export function Field({ label, hint, error, required, className, children }: FieldProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field ${className ?? ''}`}>
      <label htmlFor={id}>
        {label}
        {required && (
          <span className="required" aria-hidden="true">
            {' '}
            *
          </span>
        )}
      </label>
      {hint && (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      )}
      {children({ id, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined, required })}
      {error && (
        <p className="field-error" id={errorId}>
          {error}
        </p>
      )}
    </div>
  );
}

/** The API's message for one field of a refused form (`validation_failed`), in plain words. */
export const apiFieldError = (error: unknown, field: string): string | undefined =>
  error instanceof ApiError ? error.fieldMessage(field) : undefined;

type FieldFrame = Omit<FieldProps, 'children'>;

interface TextFieldProps extends FieldFrame {
  value: string;
  onChange: (value: string) => void;
  type?: 'text' | 'email' | 'tel' | 'date' | 'search' | 'password';
  name?: string;
  autoComplete?: string;
  /** A multi-line text box of this many rows instead of a one-line input. */
  rows?: number;
  maxLength?: number;
  /** The latest date a date field offers. */
  max?: string;
}

/** A labelled text input (or, with `rows`, a text area) holding a string. */
export function TextField({
  value,
  onChange,
  type = 'text',
  name,
  autoComplete,
  rows,
  maxLength,
  max,
  ...frame
}: TextFieldProps) {
  return (
    <Field {...frame}>
      {(props) =>
        rows ? (
          <textarea
            {...props}
            className="input"
            name={name}
            rows={rows}
            maxLength={maxLength}
            value={value}
            onChange={(e) => onChange(e.target.value)}
          />
        ) : (
          <input
            {...props}
            className="input"
            type={type}
            name={name}
            autoComplete={autoComplete}
            maxLength={maxLength}
            max={max}
            value={value}
            onChange={(e) => onChange(e.target.value)}
          />
        )
      }
    </Field>
  );
}

interface SelectFieldProps<T extends string> extends FieldFrame {
  value: T;
  onChange: (value: T) => void;
  options: readonly T[];
  optionLabel: (option: T) => string;
  name?: string;
}

/** A labelled choice of one option from a fixed list. */
export function SelectField<T extends string>({ value, onChange, options, optionLabel, name, ...frame }: SelectFieldProps<T>) {
  return (
    <Field {...frame}>
      {(props) => (
        <select {...props} className="input" name={name} value={value} onChange={(e) => onChange(e.target.value as T)}>
          {options.map((option) => (
            <option key={option} value={option}>
              {optionLabel(option)}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** One checkbox with its label beside it. */
export function Checkbox({
  label,
  checked,
  onChange,
  disabled,
  name,
}: {
  label: ReactNode;
  checked: boolean;
  onChange?: (checked: boolean) => void;
  disabled?: boolean;
  name?: string;
}) {
  return (
    <label className="checkbox">
      <input
        type="checkbox"
        name={name}
        checked={checked}
        disabled={disabled}
        onChange={onChange ? (e) => onChange(e.target.checked) : undefined}
        readOnly={!onChange}
      />
      <span>{label}</span>
    </label>
  );
}

interface CheckboxGroupProps {
  legend: string;
  hint?: ReactNode;
  options: readonly string[];
  value: readonly string[];
  onChange: (value: string[]) => void;
  label: (option: string) => string;
  columns?: number;
  name: string;
  /** What is wrong with the choice: shown under the boxes, which are marked invalid. */
  error?: string;
}

/** A set of checkboxes in a fieldset (keyboard: Tab between boxes, Space to tick). */
export function CheckboxGroup({ legend, hint, options, value, onChange, label, columns = 2, name, error }: CheckboxGroupProps) {
  const id = useId();
  const toggle = (option: string, checked: boolean) =>
    onChange(checked ? [...value, option].filter((v, i, all) => all.indexOf(v) === i) : value.filter((v) => v !== option));
  const describedBy = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;
  return (
    <fieldset className="fieldset" aria-describedby={describedBy}>
      <legend>{legend}</legend>
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <div className="checkbox-grid" data-columns={columns}>
        {options.map((option) => (
          <label key={option} className="checkbox">
            <input
              type="checkbox"
              name={name}
              value={option}
              checked={value.includes(option)}
              onChange={(e) => toggle(option, e.target.checked)}
              aria-invalid={error ? true : undefined}
            />
            <span>{label(option)}</span>
          </label>
        ))}
      </div>
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </fieldset>
  );
}

/** The options of a 0–10 score select (pain level): "Not recorded", then 0 to 10. */
export function ScoreOptions() {
  return (
    <>
      <option value="">Not recorded</option>
      {Array.from({ length: 11 }, (_, i) => (
        <option key={i} value={String(i)}>
          {i}
        </option>
      ))}
    </>
  );
}
