// A one-shot message carried across a navigation ("Referral sent", "Could not send: …").
export interface Flash {
  tone: 'success' | 'error' | 'info';
  text: string;
}

let pending: Flash | null = null;

export function setFlash(flash: Flash): void {
  pending = flash;
}

export function takeFlash(): Flash | null {
  const flash = pending;
  pending = null;
  return flash;
}
