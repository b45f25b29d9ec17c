// 共建活动 rules without I/O: the activities' shapes as scheduling answers them, who is awaited to
// confirm one, and the partner's activity form (checks before sending, the body it sends).

export const ACTIVITY_KINDS = [
  'legal_education',
  'volunteer_service',
  'safety_drill',
  'science_talk',
  'cultural_event',
  'health_service',
  'social_practice',
] as const
export type ActivityKind = (typeof ACTIVITY_KINDS)[number]

/** An activity as scheduling lists it (ActivityPublic). */
export interface PartnerActivity {
  activity_id: string
  agreement_id: string
  school_id: string
  partner_id: string
  kind: ActivityKind
  title: string
  held_on: string
  place: string
  class_ids: string[]
  students_count: number
  teachers_count: number
  residents_count: number
  participant_times: number
  outcome_notes?: string | null
  logged_by: 'school' | 'partner'
  partner_confirmed: boolean
  school_confirmed: boolean
  version: number
}

/** A co-building agreement as the registry answers it (AgreementPublic). */
export interface Agreement {
  agreement_id: string
  partner_id: string
  school_id: string
  title: string
  starts_on: string
  ends_on: string
  signed_on?: string | null
  status: 'draft' | 'active' | 'ended'
  commitments?: string[]
  year_end_review?: string | null
  version: number
}

export type Confirmation = 'confirmed' | 'awaitingPartner' | 'awaitingSchool'

/** Where an activity stands: each side confirms what the other logged (logging is its own word). */
export function confirmation(activity: PartnerActivity): Confirmation {
  if (!activity.partner_confirmed) return 'awaitingPartner'
  if (!activity.school_confirmed) return 'awaitingSchool'
  return 'confirmed'
}

/** Whether the viewer is the one awaited: the partner for what the school logged, the school
 * admin for what the partner logged (scheduling's ACTIVITY_CONFIRMATION; teachers only read). */
export function awaitsViewer(activity: PartnerActivity, role: string | undefined): boolean {
  const state = confirmation(activity)
  return (state === 'awaitingPartner' && role === 'partner') || (state === 'awaitingSchool' && role === 'school_admin')
}

/** The people taking part, by who they are, leaving out the groups with nobody. */
export function peopleTakingPart(activity: Pick<PartnerActivity, 'students_count' | 'teachers_count' | 'residents_count'>) {
  return (
    [
      ['students', activity.students_count],
      ['teachers', activity.teachers_count],
      ['residents', activity.residents_count],
    ] as const
  ).filter(([, count]) => count > 0)
}

/** Agreements an activity may be logged under: the active ones (scheduling refuses the others). */
export function activeAgreements(agreements: Agreement[]): Agreement[] {
  return agreements.filter((a) => a.status === 'active').sort((a, b) => a.title.localeCompare(b.title, 'zh-CN'))
}

export interface ActivityDraft {
  agreement_id: string
  kind: ActivityKind | ''
  title: string
  held_on: string
  place: string
  students_count: number | null
  teachers_count: number | null
  residents_count: number | null
  participant_times: number | null
}

export type ActivityProblem =
  | 'agreement'
  | 'kind'
  | 'title'
  | 'heldOnMissing'
  | 'heldOnFuture'
  | 'count'
  | 'timesMissing'
  | 'timesBelowPeople'

const COUNTS = ['students_count', 'teachers_count', 'residents_count'] as const

function isCount(value: number | null): boolean {
  return value === null || (Number.isInteger(value) && value >= 0)
}

/** What is wrong with the form before it is sent, by the field the server would name. 人次 counts
 * every participant at every session, so it is never fewer than the people taking part. */
export function activityProblems(draft: ActivityDraft, today: string): Record<string, ActivityProblem> {
  const problems: Record<string, ActivityProblem> = {}
  if (!draft.agreement_id) problems.agreement_id = 'agreement'
  if (!draft.kind) problems.kind = 'kind'
  if (draft.title.trim().length < 2) problems.title = 'title'
  if (!draft.held_on) problems.held_on = 'heldOnMissing'
  else if (draft.held_on > today) problems.held_on = 'heldOnFuture'
  for (const field of COUNTS) if (!isCount(draft[field])) problems[field] = 'count'
  const people = COUNTS.reduce((sum, field) => sum + (draft[field] ?? 0), 0)
  if (draft.participant_times === null) problems.participant_times = 'timesMissing'
  else if (!isCount(draft.participant_times)) problems.participant_times = 'count'
  else if (draft.participant_times < people) problems.participant_times = 'timesBelowPeople'
  return problems
}

/** The body of POST /v1/partner-activities (call after activityProblems found nothing). */
export function activityBody(draft: ActivityDraft) {
  return {
    agreement_id: draft.agreement_id,
    kind: draft.kind,
    title: draft.title.trim(),
    held_on: draft.held_on,
    place: draft.place.trim(),
    students_count: draft.students_count ?? 0,
    teachers_count: draft.teachers_count ?? 0,
    residents_count: draft.residents_count ?? 0,
    participant_times: draft.participant_times ?? 0,
  }
}
