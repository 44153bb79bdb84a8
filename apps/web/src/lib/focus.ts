import { type RefObject, useCallback, useEffect, useRef, useState } from 'react';

type Target = () => Element | null | undefined;

/** The screen's heading: where focus goes when what it was on has gone. */
export const screenHeading = () => document.querySelector<HTMLElement>('main h1');

/** The first field marked invalid (`aria-invalid="true"`) in `root`, in document order. */
export const firstInvalid = (root: ParentNode | null | undefined = document) =>
  root?.querySelector<HTMLElement>('[aria-invalid="true"]') ?? null;

/**
 * Moves focus once the render that shows its target has been committed: call `focusAfter(() => element)`
 * next to the state change that makes the element appear (a form replacing the button pressed, the
 * errors of a refused form). Without this, focus falls to <body> when the pressed control disappears.
 */
export function useFocusAfterRender(): (target: Target) => void {
  const [request, setRequest] = useState<{ target: Target } | null>(null);
  useEffect(() => {
    const element = request?.target();
    if (element instanceof HTMLElement) element.focus();
  }, [request]);
  return useCallback((target: Target) => setRequest({ target }), []);
}

/**
 * A native <dialog> shown modally when it mounts (the screen behind it inert): focus moves to
 * `first`, and `close()` closes it and puts focus back where it was on the screen (else on the
 * screen's heading).
 */
export function useModalDialog(first: RefObject<HTMLElement | null>): {
  dialogRef: RefObject<HTMLDialogElement | null>;
  close: () => void;
} {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const before = useRef<Element | null>(null);
  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog && !dialog.open) {
      before.current = document.activeElement;
      dialog.showModal();
    }
    first.current?.focus();
  }, [first]);
  const close = useCallback(() => {
    dialogRef.current?.close();
    const back = before.current instanceof HTMLElement && before.current.isConnected ? before.current : null;
    (back && back !== document.body ? back : screenHeading())?.focus();
  }, []);
  return { dialogRef, close };
}

const SETTLE_MS = 10_000;

/**
 * After a navigation: focuses the new screen's heading, and focuses it again when the screen replaces
 * it (a page whose real heading appears once its data has loaded) and focus fell to <body>. Stops once
 * focus moves anywhere else, on the person's next click or key, after a few seconds, or on the next
 * navigation (the cleanup). A notice the screen opens with, saying why the person was brought here,
 * is marked `data-screen-focus` and is focused instead of the heading.
 */
export function focusScreenHeading(): () => void {
  const heading = () => document.querySelector<HTMLElement>('main [data-screen-focus]') ?? screenHeading();
  let stopped = false;
  const frame = requestAnimationFrame(() => heading()?.focus());
  const lost = () => !document.activeElement || document.activeElement === document.body;
  const observer = new MutationObserver(() => {
    if (lost()) heading()?.focus();
  });
  const main = document.querySelector('main');
  if (main) observer.observe(main, { childList: true, subtree: true });
  const onFocusIn = (event: FocusEvent) => {
    if (!(event.target instanceof HTMLElement) || (event.target.tagName !== 'H1' && event.target !== heading())) stop();
  };
  const stop = () => {
    if (stopped) return;
    stopped = true;
    cancelAnimationFrame(frame);
    observer.disconnect();
    document.removeEventListener('focusin', onFocusIn);
    document.removeEventListener('pointerdown', stop, true);
    document.removeEventListener('keydown', stop, true);
    clearTimeout(timer);
  };
  document.addEventListener('focusin', onFocusIn);
  // The person has taken over (a click, a key): focus is theirs to move from now on.
  document.addEventListener('pointerdown', stop, true);
  document.addEventListener('keydown', stop, true);
  const timer = setTimeout(stop, SETTLE_MS);
  return stop;
}
