// 区级政策 rules without I/O: the targets the bureau edits, in the order and the units people read
// them (rates and weights in percent, the others as counts or a day of the month), the checks the
// registry applies too (weights add up to 100%, a rate between 0 and 100%), and the rebuild's state.

import { schoolYearOf } from './calendar'

export type TargetUnit = 'rate' | 'count' | 'day' | 'weight'

export interface TargetSpec {
  key: string
  unit: TargetUnit
}

/** DOMAIN's targets (contracts/policy.py), in the order the editor lists them. */
export const TARGETS: TargetSpec[] = [
  { key: 'home_visit_coverage', unit: 'rate' },
  { key: 'holiday_visit_coverage', unit: 'rate' },
  { key: 'mandatory_visit_coverage', unit: 'rate' },
  { key: 'visits_per_teacher_per_term', unit: 'count' },
  { key: 'guardian_contacts_per_month', unit: 'count' },
  { key: 'class_parent_meetings_per_term', unit: 'count' },
  { key: 'school_parent_meetings_per_term', unit: 'count' },
  { key: 'parent_school_sessions_per_quarter_per_grade', unit: 'count' },
  { key: 'open_days_per_term', unit: 'count' },
  { key: 'committee_meetings_per_term', unit: 'count' },
  { key: 'reception_days_per_month', unit: 'count' },
  { key: 'partner_activities_per_agreement_per_term', unit: 'count' },
  { key: 'monthly_submission_deadline_day', unit: 'day' },
  { key: 'weight_home_visit_coverage', unit: 'weight' },
  { key: 'weight_mandatory_visit_coverage', unit: 'weight' },
  { key: 'weight_parent_meetings', unit: 'weight' },
  { key: 'weight_partner_activities', unit: 'weight' },
  { key: 'weight_guardian_contact', unit: 'weight' },
]

export interface Policy {
  district_id: string
  school_year: string
  version: number
  targets: Record<string, number>
  defaults?: Record<string, number>
}

export function unitOf(key: string): TargetUnit {
  return TARGETS.find((t) => t.key === key)?.unit ?? (key.startsWith('weight_') ? 'weight' : 'count')
}

export function inPercent(unit: TargetUnit): boolean {
  return unit === 'rate' || unit === 'weight'
}

/** Rounds away binary noise: 0.667 × 100 is 66.7, not 66.70000000000001. */
function tidy(value: number, digits = 4): number {
  return Number(value.toFixed(digits))
}

/** The value as the form shows it: rates and weights in percent. */
export function toForm(key: string, stored: number): number {
  return inPercent(unitOf(key)) ? tidy(stored * 100, 2) : stored
}

/** The value as the registry keeps it: rates and weights as fractions. */
export function fromForm(key: string, shown: number): number {
  return inPercent(unitOf(key)) ? tidy(shown / 100, 6) : shown
}

/** "66.7%", "5", "每月 5 日" is left to the page: this gives the number and its unit sign. */
export function formatTarget(key: string, stored: number): string {
  const shown = toForm(key, stored)
  return inPercent(unitOf(key)) ? `${shown}%` : String(shown)
}

/** The weights' sum in percent, as the form holds them (percent). */
export function weightSumPercent(form: Record<string, number | null>): number {
  const sum = TARGETS.filter((t) => t.unit === 'weight').reduce((total, t) => total + (form[t.key] ?? 0), 0)
  return tidy(sum, 2)
}

/** The registry's tolerance: weights typed with one decimal (15.5%) add up within 0.05%. */
export function weightsAddUp(sumPercent: number): boolean {
  return Math.abs(sumPercent - 100) <= 0.05
}

export type PolicyProblem =
  | { field: 'targets'; kind: 'weightsSum'; sum: number }
  | { field: string; kind: 'rateRange' | 'weightRange' | 'missing' | 'count' | 'day' }

/** What the registry would refuse, said before sending: weights that do not add up to 100%, a
 * rate below 0 or above 100%; and what makes no sense for a count (negative, a fraction) or the
 * deadline day (1–28, every month has it). */
export function policyProblems(form: Record<string, number | null>): PolicyProblem[] {
  const problems: PolicyProblem[] = []
  for (const { key, unit } of TARGETS) {
    const value = form[key]
    if (value === null || value === undefined || Number.isNaN(value)) {
      problems.push({ field: key, kind: 'missing' })
    } else if (unit === 'rate' && (value < 0 || value > 100)) {
      problems.push({ field: key, kind: 'rateRange' })
    } else if (unit === 'weight' && (value < 0 || value > 100)) {
      problems.push({ field: key, kind: 'weightRange' })
    } else if (unit === 'count' && value < 0) {
      problems.push({ field: key, kind: 'count' })
    } else if (unit === 'day' && (!Number.isInteger(value) || value < 1 || value > 28)) {
      problems.push({ field: key, kind: 'day' })
    }
  }
  const sum = weightSumPercent(form)
  if (!weightsAddUp(sum)) problems.push({ field: 'targets', kind: 'weightsSum', sum })
  return problems
}

/** The form's values from the policy (percent where the unit is). */
export function policyForm(targets: Record<string, number>): Record<string, number | null> {
  return Object.fromEntries(TARGETS.map(({ key }) => [key, key in targets ? toForm(key, targets[key] ?? 0) : null]))
}

/** The body of PUT /v1/policy/{school_year}: every target, as fractions where they are rates. */
export function policyBody(form: Record<string, number | null>): { targets: Record<string, number> } {
  return {
    targets: Object.fromEntries(TARGETS.map(({ key }) => [key, fromForm(key, form[key] ?? 0)])),
  }
}

/** The school years the editor offers: the current one, the next, and the two before. */
export function schoolYearsAround(day: string): string[] {
  const start = Number(schoolYearOf(day).slice(0, 4))
  return [start + 1, start, start - 1, start - 2].map((y) => `${y}-${y + 1}`)
}

// Rebuild -----------------------------------------------------------------------------------------

export interface RebuildRun {
  rebuild_id: string
  database: string
  status: 'running' | 'done' | 'failed'
  started_at: string
  finished_at: string | null
  events_replayed: number
  facts_stored: number
  skipped: number
  seconds: number | null
  replay_seconds: number | null
  error: string | null
}

export const REBUILD_POLL_MS = 2000

/** Whether to ask again in 2 s: only while the rebuild runs. */
export function keepsPolling(run: RebuildRun | null): boolean {
  return run?.status === 'running'
}

/** Seconds since it started (while running) or its duration (once finished). */
export function elapsedSeconds(run: RebuildRun, now: Date = new Date()): number {
  if (run.seconds !== null && run.status !== 'running') return Math.round(run.seconds)
  const started = Date.parse(run.started_at)
  const until = run.finished_at ? Date.parse(run.finished_at) : now.getTime()
  return Math.max(0, Math.round((until - started) / 1000))
}
