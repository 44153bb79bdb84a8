import { AppError, type Pressure } from '@referloop/common';
import type { MaintenancePlan } from './entities/referral.entity';

/** A plan as a client sends it (validated by the API's PlanDto): optional fields may be left out. */
export interface MaintenancePlanInput {
  frequencyWeeks?: number | null;
  sessionsPerWeek?: number | null;
  sessions?: number | null;
  durationWeeks?: number | null;
  reviewBy?: string | null;
  goals?: string[];
  focusAreas?: string[];
  pressure: Pressure;
  contraindications?: string[];
  precautions: string;
  reportEveryWeeks?: number | null;
}

/** A plan's review date is today or later: one before the plan exists means nothing to a clinic. */
export function assertPlanDates(plan: MaintenancePlanInput | null | undefined, today: string): void {
  if (plan?.reviewBy && plan.reviewBy < today) {
    throw AppError.validation([{ field: 'plan.reviewBy', message: 'must be today or later' }]);
  }
}

/** The stored plan: every field present, texts trimmed. */
export function storedPlan(input: MaintenancePlanInput): MaintenancePlan {
  return {
    frequencyWeeks: input.frequencyWeeks ?? null,
    sessionsPerWeek: input.sessionsPerWeek ?? null,
    sessions: input.sessions ?? null,
    durationWeeks: input.durationWeeks ?? null,
    reviewBy: input.reviewBy ?? null,
    goals: (input.goals ?? []).map((goal) => goal.trim()),
    focusAreas: input.focusAreas ?? [],
    pressure: input.pressure,
    contraindications: input.contraindications ?? [],
    precautions: input.precautions.trim(),
    reportEveryWeeks: input.reportEveryWeeks ?? null,
  };
}

/**
 * A stored plan in today's shape. Plans written before the full plan existed hold only
 * frequencyWeeks, sessions?, focusAreas and precautions: the reader fills the rest (no pressure was
 * asked for, so it stays null) rather than a migration inventing clinical values.
 */
export function maintenancePlanView(stored: Partial<MaintenancePlan> | null): MaintenancePlan | null {
  if (!stored) return null;
  return {
    frequencyWeeks: stored.frequencyWeeks ?? null,
    sessionsPerWeek: stored.sessionsPerWeek ?? null,
    sessions: stored.sessions ?? null,
    durationWeeks: stored.durationWeeks ?? null,
    reviewBy: stored.reviewBy ?? null,
    goals: stored.goals ?? [],
    focusAreas: stored.focusAreas ?? [],
    pressure: stored.pressure ?? null,
    contraindications: stored.contraindications ?? [],
    precautions: stored.precautions ?? '',
    reportEveryWeeks: stored.reportEveryWeeks ?? null,
  };
}
