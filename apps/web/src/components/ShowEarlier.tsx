import { errorMessage } from '../api/problem';
import { Notice } from './Feedback';

/**
 * Under a list that shows only its latest items (see lib/earlier's useEarlierItems): says so, and
 * loads the earlier ones on request; a failed load is said where the button is.
 */
export function ShowEarlier({
  noun,
  testId,
  loading,
  loadError,
  onShow,
}: {
  /** What the list holds, plural: "events", "reports". */
  noun: string;
  testId: string;
  loading: boolean;
  loadError: unknown;
  onShow: () => Promise<void>;
}) {
  return (
    <div className="pager" data-testid={testId}>
      <p className="muted small">Showing the latest {noun}.</p>
      {loadError !== null && (
        <Notice tone="error" role="alert">
          {errorMessage(loadError)}
        </Notice>
      )}
      {/* aria-disabled, not disabled, while loading: a disabled button loses keyboard focus to <body>. */}
      <button type="button" className="button button-secondary" aria-disabled={loading} onClick={() => void onShow()}>
        {loading ? `Loading earlier ${noun}…` : `Show earlier ${noun}`}
      </button>
    </div>
  );
}
