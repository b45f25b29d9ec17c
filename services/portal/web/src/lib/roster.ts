// A meeting's roster (scheduling GET /v1/meetings/{id}/roster: guardian ids, answers, attendance)
// joined with the names the registry gives the class's teachers, and the attendance a teacher taps.

import type { ClassGuardian, RosterEntry } from './classTypes'
import type { RsvpAnswer } from './types'

export interface RosterRow {
  guardianId: string
  name: string
  relationship: string
  children: string[]
  answer: RsvpAnswer | null
  attended: boolean
}

/** Each invited guardian with their name, relationship and children's names (an id the registry
 * did not give shows as the id), ordered by their children's names then their own. */
export function joinRoster(
  roster: readonly RosterEntry[],
  guardians: readonly ClassGuardian[],
  studentNames: Readonly<Record<string, string>>,
): RosterRow[] {
  const byId = new Map(guardians.map((g) => [g.guardian_id, g]))
  const rows = roster.map((entry) => {
    const known = byId.get(entry.guardian_id)
    return {
      guardianId: entry.guardian_id,
      name: known?.name ?? entry.guardian_id,
      relationship: known?.relationship ?? '',
      children: entry.student_ids.map((id) => studentNames[id] ?? id),
      answer: entry.answer,
      attended: entry.attended,
    }
  })
  return rows.sort(
    (a, b) => a.children.join('、').localeCompare(b.children.join('、'), 'zh-CN') || a.name.localeCompare(b.name, 'zh-CN'),
  )
}

export interface AnswerCounts {
  yes: number
  no: number
  maybe: number
  none: number
}

export function answerCounts(rows: readonly Pick<RosterRow, 'answer'>[]): AnswerCounts {
  const counts: AnswerCounts = { yes: 0, no: 0, maybe: 0, none: 0 }
  for (const row of rows) counts[row.answer ?? 'none'] += 1
  return counts
}

/** Tap a guardian in or out of the attendance list. */
export function toggled(present: ReadonlySet<string>, guardianId: string): Set<string> {
  const next = new Set(present)
  if (next.has(guardianId)) next.delete(guardianId)
  else next.add(guardianId)
  return next
}

/** Attended ÷ invited, as reporting measures it; null without invitations. */
export function attendanceRate(attended: number, invited: number): number | null {
  return invited > 0 ? attended / invited : null
}
