// The visit forms' rules, kept free of the DOM so that they are unit-tested: what the teacher
// entered, what is wrong with it (said before sending, as the server would refuse it), and the
// body scheduling takes (POST /v1/home-visits, POST /v1/home-visits/{id}/outcome).

import type { VisitMode } from './types'

export const MODES: VisitMode[] = ['in_person', 'phone', 'video', 'school_visit']
export const OUTCOMES = ['done', 'missed', 'rescheduled', 'cancelled'] as const
export type Outcome = (typeof OUTCOMES)[number]

/** Topics offered as one tap each (more can be typed). */
export const TOPIC_KEYS = ['study', 'health', 'safety', 'family', 'mood', 'habits'] as const

export interface FollowUpDraft {
  action: string
  ownerId: string
  dueOn: string
}

/** What the visit fields hold: a visit logged, or a planned one done. */
export interface VisitFields {
  visitedOn: string
  mode: VisitMode | ''
  topics: string[]
  findings: string
  followUps: FollowUpDraft[]
  summary: string
  guardianConfirmation: boolean
}

export interface VisitDraft extends VisitFields {
  classId: string
  studentId: string
  /** Staff who came along besides the teacher entering it. */
  staffIds: string[]
}

export interface OutcomeDraft extends VisitFields {
  outcome: Outcome | ''
  reason: string
  newDate: string
}

export type VisitProblem =
  | 'studentRequired'
  | 'studentNotOffered'
  | 'dateRequired'
  | 'dateFuture'
  | 'dateBeforeTerm'
  | 'modeRequired'
  | 'followUpAction'
  | 'followUpOwner'
  | 'followUpDue'
  | 'followUpDueBeforeVisit'
  | 'summaryForConfirmation'
  | 'findingsTooLong'
  | 'summaryTooLong'
  | 'outcomeRequired'
  | 'reasonRequired'
  | 'newDateRequired'
  | 'newDatePast'

/** Problems by field, named as the server names them (visited_on, follow_ups.0.due_on, …). */
export type Problems = Partial<Record<string, VisitProblem>>

export interface DateRules {
  /** Today on the school clock. */
  today: string
  /** The current term's first day, when known (cached from must-visit). */
  termStart: string | null
}

const DAY = /^\d{4}-\d{2}-\d{2}$/

export function emptyFields(today: string): VisitFields {
  return { visitedOn: today, mode: '', topics: [], findings: '', followUps: [], summary: '', guardianConfirmation: false }
}

/** The topics typed in one line, split on the usual separators, with the tapped ones. */
export function splitTopics(typed: string): string[] {
  return typed
    .split(/[,，、;；\n]/)
    .map((topic) => topic.trim())
    .filter(Boolean)
}

function fieldProblems(fields: VisitFields, rules: DateRules): Problems {
  const problems: Problems = {}
  if (!DAY.test(fields.visitedOn)) problems.visited_on = 'dateRequired'
  else if (fields.visitedOn > rules.today) problems.visited_on = 'dateFuture'
  else if (rules.termStart && fields.visitedOn < rules.termStart) problems.visited_on = 'dateBeforeTerm'
  fields.followUps.forEach((followUp, index) => {
    if (!followUp.action.trim()) problems[`follow_ups.${index}.action`] = 'followUpAction'
    if (!followUp.ownerId) problems[`follow_ups.${index}.owner_id`] = 'followUpOwner'
    if (!DAY.test(followUp.dueOn)) problems[`follow_ups.${index}.due_on`] = 'followUpDue'
    else if (DAY.test(fields.visitedOn) && followUp.dueOn < fields.visitedOn) problems[`follow_ups.${index}.due_on`] = 'followUpDueBeforeVisit'
  })
  if (fields.findings.length > 5000) problems.findings = 'findingsTooLong'
  if (fields.summary.length > 1000) problems.shareable_summary = 'summaryTooLong'
  else if (fields.guardianConfirmation && !fields.summary.trim()) problems.shareable_summary = 'summaryForConfirmation'
  return problems
}

/** What is wrong with a visit to log, before it is sent. */
export function visitProblems(draft: VisitDraft, rules: DateRules & { offered: ReadonlySet<string> }): Problems {
  const problems: Problems = {}
  if (!draft.studentId) problems.student_id = 'studentRequired'
  else if (!rules.offered.has(draft.studentId)) problems.student_id = 'studentNotOffered'
  if (!draft.mode) problems.mode = 'modeRequired'
  return { ...problems, ...fieldProblems(draft, rules) }
}

/** What is wrong with an outcome, before it is sent. */
export function outcomeProblems(draft: OutcomeDraft, rules: DateRules): Problems {
  if (!draft.outcome) return { outcome: 'outcomeRequired' }
  if (draft.outcome === 'done') return fieldProblems(draft, rules)
  const problems: Problems = {}
  if (!draft.reason.trim()) problems.reason = 'reasonRequired'
  if (draft.outcome === 'rescheduled') {
    if (!DAY.test(draft.newDate)) problems.new_date = 'newDateRequired'
    else if (draft.newDate < rules.today) problems.new_date = 'newDatePast'
  }
  return problems
}

function text(value: string): string | null {
  const trimmed = value.trim()
  return trimmed ? trimmed : null
}

function recordBody(fields: VisitFields) {
  return {
    visited_on: fields.visitedOn,
    mode: fields.mode || undefined,
    topics: [...new Set(fields.topics.map((t) => t.trim()).filter(Boolean))],
    findings: text(fields.findings),
    follow_ups: fields.followUps.map((f) => ({ action: f.action.trim(), owner_id: f.ownerId, due_on: f.dueOn })),
    shareable_summary: text(fields.summary),
    guardian_confirmation: fields.guardianConfirmation,
  }
}

/** scheduling HomeVisitCreate. The teacher sending it is always among the visitors; the others go
 * in visiting_staff_ids. */
export function visitBody(draft: VisitDraft, me: string) {
  return {
    student_id: draft.studentId,
    class_id: draft.classId,
    ...recordBody(draft),
    visiting_staff_ids: [...new Set(draft.staffIds)].filter((id) => id && id !== me),
  }
}

/** scheduling VisitOutcome. */
export function outcomeBody(draft: OutcomeDraft) {
  if (draft.outcome === 'done') return { outcome: 'done' as const, ...recordBody(draft) }
  return {
    outcome: draft.outcome,
    reason: draft.reason.trim(),
    ...(draft.outcome === 'rescheduled' ? { new_date: draft.newDate } : {}),
  }
}

/** Back from a body kept in the outbox (修改后重发): the draft it was made from. */
export function draftFromVisitBody(body: unknown): VisitDraft | null {
  if (!body || typeof body !== 'object') return null
  const b = body as Record<string, unknown>
  const str = (v: unknown) => (typeof v === 'string' ? v : '')
  const followUps = Array.isArray(b.follow_ups) ? (b.follow_ups as Record<string, unknown>[]) : []
  return {
    classId: str(b.class_id),
    studentId: str(b.student_id),
    visitedOn: str(b.visited_on),
    mode: (MODES as string[]).includes(str(b.mode)) ? (b.mode as VisitMode) : '',
    staffIds: Array.isArray(b.visiting_staff_ids) ? b.visiting_staff_ids.filter((v): v is string => typeof v === 'string') : [],
    topics: Array.isArray(b.topics) ? b.topics.filter((v): v is string => typeof v === 'string') : [],
    findings: str(b.findings),
    followUps: followUps.map((f) => ({ action: str(f.action), ownerId: str(f.owner_id), dueOn: str(f.due_on) })),
    summary: str(b.shareable_summary),
    guardianConfirmation: b.guardian_confirmation === true,
  }
}

/** Back from an outcome's body kept in the outbox (修改后重发 of a refused outcome). */
export function draftFromOutcomeBody(body: unknown, today: string): OutcomeDraft | null {
  if (!body || typeof body !== 'object') return null
  const b = body as Record<string, unknown>
  const str = (v: unknown) => (typeof v === 'string' ? v : '')
  const outcome = (OUTCOMES as readonly string[]).includes(str(b.outcome)) ? (b.outcome as Outcome) : ''
  const fields = outcome === 'done' ? draftFromVisitBody(b) : null
  return {
    ...emptyFields(today),
    ...(fields
      ? {
          visitedOn: fields.visitedOn,
          mode: fields.mode,
          topics: fields.topics,
          findings: fields.findings,
          followUps: fields.followUps,
          summary: fields.summary,
          guardianConfirmation: fields.guardianConfirmation,
        }
      : {}),
    outcome,
    reason: str(b.reason),
    newDate: str(b.new_date),
  }
}

/** 改为登记家访: a done outcome the server cannot take any more (its planned visit was settled or is
 * gone) becomes a visit to log, of the same student and class, with what the teacher wrote. */
export function visitDraftFromOutcome(body: unknown, student: { studentId: string; classId: string }, today: string): VisitDraft | null {
  const outcome = draftFromOutcomeBody(body, today)
  if (!outcome || outcome.outcome !== 'done') return null
  return {
    classId: student.classId,
    studentId: student.studentId,
    staffIds: [],
    visitedOn: outcome.visitedOn,
    mode: outcome.mode,
    topics: outcome.topics,
    findings: outcome.findings,
    followUps: outcome.followUps,
    summary: outcome.summary,
    guardianConfirmation: outcome.guardianConfirmation,
  }
}

/** A refused outcome that can only go as a logged visit: its planned visit was settled (cancelled,
 * done by a colleague) or is gone. */
export function outcomeCanBecomeVisit(refusal: { status: number | null; problemType?: string | null }, body: unknown): boolean {
  const settled = refusal.status === 409 && (refusal.problemType ?? '').endsWith('visit-settled')
  const gone = refusal.status === 404
  const done = Boolean(body && typeof body === 'object' && (body as Record<string, unknown>).outcome === 'done')
  return (settled || gone) && done
}

/** An in-person visit is better made by two staff (the district's rule of thumb): a hint, not a refusal. */
export function twoStaffAdvised(mode: VisitMode | '', others: string[]): boolean {
  return mode === 'in_person' && others.length === 0
}
