// The monthly submission's rules (MonthlySubmission: 月度报送 and disputes of the bulletin), kept
// free of the DOM so that they are unit-tested: which months a school may confirm, the body the
// API takes, on time or late, and the school's figures in the latest bulletin.

import type { MeasureStatus } from './report'
import { MEASURE_KEYS, measureName } from './measures'
import { measureValue } from './report'

/** reporting SubmissionOut */
export interface Submission {
  school_id: string
  month: string
  kind: 'confirmed' | 'nothing_to_report'
  reason: string | null
  submitted_on: string
  deadline: string
  late: boolean
}

export type SubmissionKind = Submission['kind']

export interface SubmissionBody {
  kind: SubmissionKind
  reason?: string
}

export const REASON_MAX = 300

/** "2026-10" → "2026-11" */
export function nextMonth(month: string): string {
  const year = Number(month.slice(0, 4))
  const m = Number(month.slice(5, 7))
  return m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, '0')}`
}

export function previousMonth(month: string): string {
  const year = Number(month.slice(0, 4))
  const m = Number(month.slice(5, 7))
  return m === 1 ? `${year - 1}-12` : `${year}-${String(m - 1).padStart(2, '0')}`
}

/** A month is over once its last day has passed (reporting refuses a month still running). */
export function monthEnded(month: string, today: string): boolean {
  return nextMonth(month) <= today.slice(0, 7)
}

/** The day a month is due: the given day of the next month (the policy's, the 5th by default). */
export function deadlineOf(month: string, deadlineDay = 5): string {
  return `${nextMonth(month)}-${String(deadlineDay).padStart(2, '0')}`
}

export interface MonthRow {
  month: string
  submission: Submission | null
  /** The due day: the submission's own when it was made, else the policy's. */
  deadline: string
  /** Not yet submitted and its deadline has passed. */
  overdue: boolean
}

/** The school year's months that have ended, newest first, each with its submission if any; a
 * submission of an earlier month is listed too. */
export function monthRows(today: string, submissions: readonly Submission[], deadlineDay = 5): MonthRow[] {
  const year = Number(today.slice(0, 4))
  const start = Number(today.slice(5, 7)) >= 9 ? `${year}-09` : `${year - 1}-09`
  const months = new Set(submissions.map((s) => s.month))
  for (let month = start; monthEnded(month, today); month = nextMonth(month)) months.add(month)
  const byMonth = new Map(submissions.map((s) => [s.month, s]))
  return [...months]
    .sort((a, b) => b.localeCompare(a))
    .map((month) => {
      const submission = byMonth.get(month) ?? null
      const deadline = submission?.deadline ?? deadlineOf(month, deadlineDay)
      return { month, submission, deadline, overdue: !submission && today > deadline }
    })
}

/** The body reporting takes, or the field's i18n key of what is missing. */
export function submissionBody(kind: SubmissionKind, reason: string): { body?: SubmissionBody; error?: string } {
  if (kind === 'confirmed') return { body: { kind } }
  const text = reason.trim()
  if (!text) return { error: 'submission.error.reason' }
  if (text.length > REASON_MAX) return { error: 'submission.error.reasonLong' }
  return { body: { kind, reason: text } }
}

/** On time or late, as reporting judged it. */
export function timelinessKey(submission: Pick<Submission, 'late'>): 'submission.late' | 'submission.onTime' {
  return submission.late ? 'submission.late' : 'submission.onTime'
}

export function kindKey(kind: SubmissionKind): 'submission.kind.confirmed' | 'submission.kind.nothing' {
  return kind === 'confirmed' ? 'submission.kind.confirmed' : 'submission.kind.nothing'
}

/** The months whose bulletin may be the latest, newest first: a bulletin is of a month that has ended. */
export function bulletinMonths(today: string, count = 3): string[] {
  const months = [previousMonth(today.slice(0, 7))]
  while (months.length < count) months.push(previousMonth(months[months.length - 1] as string))
  return months
}

/** reporting Bulletin, the fields the school reads */
export interface RankedSchool {
  rank: number
  school_id: string
  name: string
  score: number
  measures: Record<string, { actual: number; target: number; status: MeasureStatus }>
}

export interface Bulletin {
  month: string
  revision: number
  published_at: string
  document: { month: string; term: string; ranking: RankedSchool[] }
}

/** The contract's dispute (B2): open, accepted or rejected, with the bureau's note once decided. */
export interface Dispute {
  dispute_id: string
  month: string
  school_id: string
  figure: string
  reason: string
  revision: number
  status: 'open' | 'accepted' | 'rejected'
  raised_by: string
  decided_note?: string | null
  decided_revision?: number | null
}

export interface FigureRow {
  figure: string
  name: string
  actual: string
  target: string
  status: MeasureStatus | null
}

/** A figure's Chinese name: 综合得分 for the score, the measure's name otherwise. */
export function figureName(figure: string): string {
  return measureName(figure)
}

/** The school's figures in the bulletin, the score first; none when the school is not ranked in it. */
export function schoolFigures(bulletin: Bulletin | null, schoolId: string): { rank: number; rows: FigureRow[] } | null {
  const school = bulletin?.document.ranking.find((r) => r.school_id === schoolId)
  if (!school) return null
  const keys = MEASURE_KEYS
  const measures = Object.entries(school.measures).sort(([a], [b]) => {
    const ka = keys.indexOf(a), kb = keys.indexOf(b)
    return (ka < 0 ? 99 : ka) - (kb < 0 ? 99 : kb) || a.localeCompare(b)
  })
  return {
    rank: school.rank,
    rows: [
      { figure: 'score', name: figureName('score'), actual: school.score.toFixed(1), target: '', status: null },
      ...measures.map(([key, m]) => ({
        figure: key,
        name: figureName(key),
        actual: measureValue(key, m.actual),
        target: measureValue(key, m.target),
        status: m.status,
      })),
    ],
  }
}

export const DISPUTE_REASON_MAX = 500

export function disputeError(figure: string, reason: string): Record<string, string> {
  const errors: Record<string, string> = {}
  if (!figure) errors.figure = 'submission.error.figure'
  if (!reason.trim()) errors.reason = 'submission.error.disputeReason'
  else if (reason.trim().length > DISPUTE_REASON_MAX) errors.reason = 'submission.error.disputeReasonLong'
  return errors
}

export function disputeStatusKey(status: Dispute['status']): `submission.dispute.${Dispute['status']}` {
  return `submission.dispute.${status}`
}

export function disputeTone(status: Dispute['status']): 'warning' | 'success' | 'info' {
  return ({ open: 'warning', accepted: 'success', rejected: 'info' } as const)[status]
}
