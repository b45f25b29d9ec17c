// The teacher's class pages' rules, kept free of the DOM so that they are unit-tested: which term a
// report is asked for, how a class stands against the policy, names joined onto ids.

import type { ClassInfo, ClassReport, ClassStudent, ClassTeacher, Measure, MeasureStatus, MustVisit, OpenFollowUp } from './classTypes'

/** The care categories that make a visit compulsory (三必访), as scheduling's term plan counts them. */
export const MANDATORY_CARE = ['left_behind', 'hardship', 'special_attention'] as const

export function isMandatory(careCategories: readonly string[] | null | undefined): boolean {
  return (careCategories ?? []).some((c) => (MANDATORY_CARE as readonly string[]).includes(c))
}

/** Reporting's term name ("2026-2027-autumn") for the term scheduling says holds today. */
export function reportTerm(mustVisit: Pick<MustVisit, 'school_year' | 'term'>): string {
  return `${mustVisit.school_year}-${mustVisit.term}`
}

/** The class's home-visit coverage measure against the policy, with reporting's status, when the
 * report carries its measures. */
export function coverageMeasure(report: ClassReport | null | undefined): Measure | null {
  return report?.measures?.find((m) => m.key === 'home_visit_coverage') ?? null
}

const STATUS_KEYS: Record<MeasureStatus, `classes.status.${MeasureStatus}`> = {
  met: 'classes.status.met',
  on_track: 'classes.status.on_track',
  at_risk: 'classes.status.at_risk',
  missed: 'classes.status.missed',
}

export function statusKey(status: MeasureStatus): `classes.status.${MeasureStatus}` {
  return STATUS_KEYS[status]
}

/** A Vant tag type for a status: good news green, trouble red or amber. */
export function statusTone(status: MeasureStatus): 'success' | 'primary' | 'warning' | 'danger' {
  return ({ met: 'success', on_track: 'primary', at_risk: 'warning', missed: 'danger' } as const)[status]
}

/** A rate (0..1) as a whole percentage, "67%"; "—" when there is none. */
export function percent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return '—'
  return `${Math.round(rate * 100)}%`
}

export function namesOf<T>(rows: readonly T[] | null | undefined, id: (row: T) => string, name: (row: T) => string): Record<string, string> {
  const found: Record<string, string> = {}
  for (const row of rows ?? []) found[id(row)] = name(row)
  return found
}

export function studentNames(students: readonly ClassStudent[] | null | undefined): Record<string, string> {
  return namesOf(students, (s) => s.student_id, (s) => s.name)
}

export function teacherNames(teachers: readonly ClassTeacher[] | null | undefined): Record<string, string> {
  return namesOf(teachers, (t) => t.staff_id, (t) => t.name)
}

export interface UnvisitedRow {
  studentId: string
  name: string
  careCategories: string[]
  plannedOn: string | null
  visitId: string | null
}

/** The 三必访 students still unvisited, by name (an id the roster does not know shows as the id),
 * those with no visit planned first, then by name. */
export function unvisited(mustVisit: MustVisit | null | undefined, names: Readonly<Record<string, string>>): UnvisitedRow[] {
  const rows = (mustVisit?.students ?? []).map((s) => ({
    studentId: s.student_id,
    name: names[s.student_id] ?? s.student_id,
    careCategories: s.care_categories,
    plannedOn: s.planned?.planned_on ?? null,
    visitId: s.planned?.visit_id ?? null,
  }))
  return rows.sort((a, b) => Number(a.plannedOn !== null) - Number(b.plannedOn !== null) || a.name.localeCompare(b.name, 'zh-CN'))
}

/** A calendar day ``days`` after ``day`` ("2026-11-20" + 7 → "2026-11-27"). */
export function addDays(day: string, days: number): string {
  const date = new Date(`${day.slice(0, 10)}T00:00:00Z`)
  date.setUTCDate(date.getUTCDate() + days)
  return date.toISOString().slice(0, 10)
}

/** Follow-ups to act on now: overdue (as scheduling flags them on the school clock) or due within
 * ``withinDays`` of ``today``; overdue first, then soonest due. */
export function dueFollowUps(followUps: readonly OpenFollowUp[] | null | undefined, today: string, withinDays = 7): OpenFollowUp[] {
  const horizon = addDays(today, withinDays)
  return (followUps ?? [])
    .filter((f) => f.overdue || f.due_on <= horizon)
    .sort((a, b) => Number(b.overdue) - Number(a.overdue) || a.due_on.localeCompare(b.due_on))
}

/** Whether the signed-in teacher is the class's head teacher (班主任): the registry's class
 * teachers say so, else the class record's head_teacher_id. */
export function isHeadTeacher(
  staffId: string | null | undefined,
  klass: Pick<ClassInfo, 'head_teacher_id'> | null | undefined,
  teachers: readonly ClassTeacher[] | null | undefined,
): boolean {
  if (!staffId) return false
  const me = teachers?.find((t) => t.staff_id === staffId)
  if (me) return me.head_teacher
  return klass?.head_teacher_id === staffId
}

const WEEKDAYS_ZH = '日一二三四五六'

/** A calendar date ("2026-11-20") as "11月20日（周五）" — written out here, not by the browser, so it
 * reads the same whatever the phone's locale (a native date field shows "11/20/2026" on some). */
export function dayLabel(day: string | null | undefined, locale: 'zh-CN' | 'en'): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day ?? '')
  if (!match) return day ?? ''
  const [, year, month, date] = match.map(Number) as [number, number, number, number]
  const weekday = new Date(Date.UTC(year, month - 1, date)).getUTCDay()
  if (locale === 'en') {
    const names = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
    return `${names[weekday]} ${date} ${months[month - 1]}`
  }
  return `${month}月${date}日（周${WEEKDAYS_ZH[weekday]}）`
}

function randomId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  // randomUUID needs a secure context (https); getRandomValues does not
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')
}

/** An Idempotency-Key for one action (a plan confirmed, a meeting scheduled, attendance saved):
 * made once, sent on every try, so a retry after a lost answer is not recorded twice. */
export function actionKey(kind: string, random: () => string = randomId): string {
  return `${kind}-${random()}`
}


/** The coverage the class should have reached by `today` (reporting's pace for the school year's
 * coverage: the target × the share of the school year gone, autumn the first half, spring the
 * second), so that 有风险 / 进度正常 can say what they are measured against. */
export function expectedCoverage(
  target: number,
  term: Pick<MustVisit, 'term' | 'starts_on' | 'ends_on'>,
  today: string,
): number {
  const day = (iso: string) => Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10)))
  const [start, end, now] = [day(term.starts_on), day(term.ends_on), day(today)]
  const DAY = 86_400_000
  const elapsed = now >= end ? 1 : now < start ? 0 : ((now - start) / DAY + 1) / ((end - start) / DAY + 1)
  return (target * (elapsed + (term.term === 'spring' ? 1 : 0))) / 2
}
