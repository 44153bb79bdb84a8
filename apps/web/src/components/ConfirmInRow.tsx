import { type ReactNode, type Ref, useRef } from 'react';
import { useFocusAfterRender } from '../lib/focus';

/** Spread on the row's button that asks (Revoke, Delete, Deactivate…): `<button {...ask}>`. */
export interface AskButtonProps {
  ref: Ref<HTMLButtonElement>;
  onClick: () => void;
}

interface ConfirmInRowProps {
  /** Whether this row is asking now (the page keeps which row, so only one asks at a time). */
  asking: boolean;
  /** The row's id, on the question as `data-confirm`. */
  id: string;
  /** The question's accessible name, e.g. "Delete the webhook to …?". */
  label: string;
  /** The question in words, above its two buttons. */
  question: ReactNode;
  /** The button that goes ahead, e.g. "Yes, delete". */
  yes: string;
  /** The button that goes back, e.g. "Keep it". */
  keep: string;
  /** Both buttons are disabled while the action runs. */
  busy: boolean;
  /** The row's button was pressed: the page starts asking on this row. */
  onAsk: () => void;
  /** Yes: the page runs the action, then says what happened (and moves focus there). */
  onYes: () => void;
  /** Keep: the page stops asking. */
  onKeep: () => void;
  /** The row's buttons while not asking; the one that asks spreads `ask`. */
  children: (ask: AskButtonProps) => ReactNode;
}

/**
 * An action that asks first, in its table row: the row's button gives way to the question (which
 * takes focus), and "keep" hands focus back to the row's button.
 */
export function ConfirmInRow(props: ConfirmInRowProps) {
  const { asking, id, label, question, yes, keep, busy, onAsk, onYes, onKeep, children } = props;
  const questionRef = useRef<HTMLDivElement>(null);
  const askRef = useRef<HTMLButtonElement>(null);
  const focusAfter = useFocusAfterRender();

  if (!asking) {
    return children({
      ref: askRef,
      onClick: () => {
        onAsk();
        // The button gives way to the question: start there.
        focusAfter(() => questionRef.current);
      },
    });
  }
  return (
    <div ref={questionRef} className="confirm" role="group" aria-label={label} tabIndex={-1} data-confirm={id}>
      <p className="small">{question}</p>
      <div className="actions-row">
        <button type="button" className="button button-danger button-small" disabled={busy} onClick={onYes}>
          {yes}
        </button>
        <button
          type="button"
          className="button button-secondary button-small"
          disabled={busy}
          onClick={() => {
            onKeep();
            focusAfter(() => askRef.current);
          }}
        >
          {keep}
        </button>
      </div>
    </div>
  );
}
