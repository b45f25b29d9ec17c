// The JSON shapes the teacher's class pages read (registry, scheduling, reporting), only the fields
// shown; tolerant of additions.

import type { MeetingKind, RsvpAnswer, VisitMode } from './types'

/** registry ClassPublic */
export interface ClassInfo {
  class_id: string
  school_id: string
  grade: number
  name: string
  head_teacher_id: string | null
  status: string
  enrolled_count: number
}

/** registry StudentPublic, as the class's teachers read it (care categories included) */
export interface ClassStudent {
  student_id: string
  class_id: string
  name: string
  status: string
  care_categories?: string[] | null
}

/** registry GET /v1/classes/{id}/teachers */
export interface ClassTeacher {
  staff_id: string
  name: string
  roles: string[]
  head_teacher: boolean
}

/** registry GuardianPublic (phones masked in lists) */
export interface ClassGuardian {
  guardian_id: string
  name: string
  relationship: string
  student_ids: string[]
}

export interface PlannedVisitRef {
  visit_id: string
  planned_on: string
  visiting_staff_ids: string[]
}

/** scheduling GET /v1/classes/{id}/must-visit: the 三必访 students not visited this term */
export interface MustVisit {
  school_year: string
  term: string
  starts_on: string
  ends_on: string
  students: { student_id: string; care_categories: string[]; planned: PlannedVisitRef | null }[]
}

/** scheduling OpenFollowUp */
export interface OpenFollowUp {
  visit_id: string
  index: number
  class_id: string
  student_id: string
  action: string
  owner_id: string
  due_on: string
  overdue: boolean
}

/** scheduling HomeVisitPublic */
export interface HomeVisit {
  visit_id: string
  class_id: string
  student_id: string
  status: 'planned' | 'done' | 'missed' | 'cancelled'
  planned_on: string | null
  visited_on: string | null
  mode: VisitMode
  visiting_staff_ids: string[]
  version: number
}

/** scheduling ProposedVisit: a visit of the term plan, proposed and sent back to confirm it */
export interface ProposedVisit {
  student_id: string
  planned_on: string
  visiting_staff_ids: string[]
  mode: VisitMode
  mandatory: boolean
}

/** scheduling TermPlan */
export interface TermPlan {
  class_id: string
  school_year: string
  term: string
  enrolled: number
  coverage_target: number
  visits: ProposedVisit[]
  reason: string | null
  /** Students left out: a visit is already planned or done for them this term. */
  already_planned?: string[]
}

export type MeasureStatus = 'met' | 'on_track' | 'at_risk' | 'missed'

/** reporting MeasureOut */
export interface Measure {
  key: string
  label: string
  target: number
  actual: number
  status: MeasureStatus
}

/** reporting ClassReport (measures: the class's measures against the policy, when the report has them) */
export interface ClassReport {
  class_id: string
  term: string
  as_of: string
  enrolled: number
  visited: number
  coverage: number
  mandatory: number
  mandatory_visited: number
  parent_meetings: number
  open_follow_ups: number
  overdue_follow_ups: number
  measures?: Measure[] | null
  attendance_rate?: number | null
}

/** scheduling MeetingPublic, as staff read it */
export interface StaffMeeting {
  meeting_id: string
  school_id: string
  kind: MeetingKind
  level: string
  class_ids: string[]
  title: string
  agenda: string[]
  starts_at: string
  ends_at: string
  place: string
  status: 'planned' | 'held' | 'cancelled'
  invited_count: number
  rsvp: Partial<Record<RsvpAnswer, number>>
  attended_count: number | null
  version: number
}

/** scheduling GET /v1/meetings/{id}/roster */
export interface RosterEntry {
  guardian_id: string
  student_ids: string[]
  answer: RsvpAnswer | null
  attended: boolean
}

export interface MeetingQuestion {
  question: string
  answer: string
}
