/** How the client tolerated the sessions since the last report. */
export const PROGRESS_TOLERANCES = ['well', 'some_soreness', 'adverse'] as const;
export type ProgressTolerance = (typeof PROGRESS_TOLERANCES)[number];

/** A progress report as the recipient sends it (`report-progress`, validated by the API's ProgressDto). */
export interface ProgressInput {
  sessionsCompleted: number;
  /** 0–10. */
  painLevel?: number | null;
  /** 0–10, Patient-Specific Functional Scale average. */
  psfs?: number | null;
  tolerance: ProgressTolerance;
  note?: string | null;
}

/** One entry of a referral's `progress[]`, oldest first. */
export interface ProgressView {
  id: string;
  sessionsCompleted: number;
  painLevel: number | null;
  psfs: number | null;
  tolerance: ProgressTolerance;
  note: string | null;
  reportedAt: string;
  reportedBy: { id: string; fullName: string };
}
