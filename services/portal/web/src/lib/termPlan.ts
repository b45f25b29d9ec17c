// Adjusting a proposed term visit plan (学期家访计划) before the head teacher confirms it: each
// change returns a new plan, so the page never edits what scheduling proposed in place. The
// server checks every visit again on confirmation (school days, the class's teachers, enrolment).

import type { ProposedVisit } from './classTypes'

/** 三必访 first, then by date, then by student: the order the page shows and sends. */
export function ordered(visits: readonly ProposedVisit[]): ProposedVisit[] {
  return [...visits].sort(
    (a, b) =>
      Number(b.mandatory) - Number(a.mandatory) ||
      a.planned_on.localeCompare(b.planned_on) ||
      a.student_id.localeCompare(b.student_id),
  )
}

function changed(visits: readonly ProposedVisit[], studentId: string, change: Partial<ProposedVisit>): ProposedVisit[] {
  return visits.map((v) => (v.student_id === studentId ? { ...v, ...change } : v))
}

export function withDate(visits: readonly ProposedVisit[], studentId: string, day: string): ProposedVisit[] {
  return changed(visits, studentId, { planned_on: day })
}

/** One visitor per visit, chosen among the class's teachers. */
export function withVisitor(visits: readonly ProposedVisit[], studentId: string, staffId: string): ProposedVisit[] {
  return changed(visits, studentId, { visiting_staff_ids: [staffId] })
}

export function without(visits: readonly ProposedVisit[], studentId: string): ProposedVisit[] {
  return visits.filter((v) => v.student_id !== studentId)
}

/** Add a student the proposal left out (once: a student already in the plan is not added twice). */
export function withStudent(
  visits: readonly ProposedVisit[],
  studentId: string,
  day: string,
  staffId: string,
  mandatory: boolean,
): ProposedVisit[] {
  if (visits.some((v) => v.student_id === studentId)) return [...visits]
  return ordered([...visits, { student_id: studentId, planned_on: day, visiting_staff_ids: [staffId], mode: 'in_person', mandatory }])
}

/** The students that may still be added: enrolled, not already in the plan. */
export function addable<T extends { student_id: string; status: string }>(students: readonly T[], visits: readonly ProposedVisit[]): T[] {
  const planned = new Set(visits.map((v) => v.student_id))
  return students.filter((s) => s.status === 'enrolled' && !planned.has(s.student_id))
}

/** The 三必访 students the plan no longer holds: the page warns before confirming without them. */
export function mandatoryLeftOut(
  proposed: readonly ProposedVisit[],
  visits: readonly ProposedVisit[],
): string[] {
  const kept = new Set(visits.map((v) => v.student_id))
  return proposed.filter((v) => v.mandatory && !kept.has(v.student_id)).map((v) => v.student_id)
}

/** A day outside the term or on a weekend: the page says so beside the date (the server refuses
 * what is not a school day when the plan is confirmed). */
export function dayProblem(day: string, startsOn: string | null, endsOn: string | null): 'outside' | 'weekend' | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return 'outside'
  if ((startsOn && day < startsOn) || (endsOn && day > endsOn)) return 'outside'
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay()
  return weekday === 0 || weekday === 6 ? 'weekend' : null
}

/** The confirmation's body (scheduling TermPlanConfirmation). */
export function confirmation(visits: readonly ProposedVisit[]): { visits: ProposedVisit[] } {
  return {
    visits: ordered(visits).map((v) => ({
      student_id: v.student_id,
      planned_on: v.planned_on,
      visiting_staff_ids: v.visiting_staff_ids,
      mode: v.mode,
      mandatory: v.mandatory,
    })),
  }
}

/** The server's refusals of single visits (`body.visits.N.student_id`, e.g. a student already
 * planned this term), keyed by the student of visit N in what was sent; what names no visit is
 * left to the page's general message. */
export function refusedVisits(
  errors: readonly { field: string; message: string }[],
  sent: { visits: readonly Pick<ProposedVisit, 'student_id'>[] },
): Record<string, string> {
  const found: Record<string, string> = {}
  for (const error of errors) {
    const match = /^body\.visits\.(\d+)(?:\.|$)/.exec(error.field)
    const visit = match ? sent.visits[Number(match[1])] : undefined
    if (visit && !(visit.student_id in found)) found[visit.student_id] = error.message
  }
  return found
}
