import { useRef } from 'react';
import { useModalDialog } from '../lib/focus';
import { answerLeave, useLeaveAsked } from '../lib/leave-guard';

/**
 * Asks before leaving a form with unsaved changes (see lib/leave-guard.ts): rendered once by the app,
 * open while a link, the back or forward button or the bell would leave such a form.
 */
export function LeaveGuardDialog() {
  return useLeaveAsked() ? <LeaveQuestion /> : null;
}

/**
 * A modal dialog: focus moves to "Stay on this page", the safe answer, which Escape gives too; on
 * staying, focus goes back where it was.
 */
function LeaveQuestion() {
  const stayRef = useRef<HTMLButtonElement>(null);
  const { dialogRef, close } = useModalDialog(stayRef);

  const stay = () => {
    close();
    answerLeave(false);
  };

  const leave = () => {
    dialogRef.current?.close();
    answerLeave(true);
  };

  return (
    <dialog
      ref={dialogRef}
      className="leave-guard"
      aria-labelledby="leave-guard-heading"
      aria-describedby="leave-guard-text"
      onCancel={(event) => {
        // Escape: the browser would close the dialog on its own; staying is the answer.
        event.preventDefault();
        stay();
      }}
    >
      <h2 id="leave-guard-heading">Leave without saving?</h2>
      <p id="leave-guard-text">What you entered on this page is not saved. If you leave, it is lost.</p>
      <div className="actions-row">
        <button ref={stayRef} type="button" className="button button-primary" onClick={stay}>
          Stay on this page
        </button>
        <button type="button" className="button button-secondary" onClick={leave}>
          Leave without saving
        </button>
      </div>
    </dialog>
  );
}
