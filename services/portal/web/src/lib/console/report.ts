// The school report's rules (SchoolReport), kept free of the DOM so that they are unit-tested: which
// term is asked for, each measure's name, value and status in words, and the figures the charts
// and their tables are drawn from. Every number comes from reporting's answer; nothing is
// recomputed here but its formatting.

import { isRate, measureName as shortName, percent } from './measures'

export { isRate, percent }

export type MeasureStatus = 'met' | 'on_track' | 'at_risk' | 'missed'

/** reporting MeasureOut */
export interface ReportMeasure {
  key: string
  label: string
  target: number
  actual: number
  gap: number
  status: MeasureStatus
  numerator?: number | null
  denominator?: number | null
}

/** reporting ClassRow, as the school admin reads it */
export interface ReportClass {
  class_id: string
  grade: number
  enrolled: number
  visited: number
  coverage: number
  mandatory: number
  mandatory_visited: number
  parent_meetings: number
  visits: number
  open_follow_ups: number
  overdue_follow_ups: number
  unvisited_mandatory?: unknown
}

export interface ReportTeacher {
  staff_id: string
  visits: number
  students_visited: number
  teaches: boolean
}

export interface ActivitySummary {
  visits: number
  meetings_by_kind: Record<string, number>
  rsvp_rate: number | null
  attendance_rate: number | null
  partner_activities_by_kind: Record<string, number>
  participant_times_by_kind: Record<string, number>
  partner_activities_by_agreement: Record<string, number>
  pairing_exchanges: number
  teachers_benefiting: number
  students_benefiting: number
}

/** reporting SchoolReport */
export interface SchoolReport {
  school_id: string
  name: string
  term: string
  as_of: string
  elapsed: number
  score: number
  measures: ReportMeasure[]
  classes: ReportClass[]
  teachers: ReportTeacher[]
  teacher_visits: {
    quota: number
    teachers: number
    reaching_quota: number
    average_students: number | null
    fewest_students: number | null
  }
  activity: ActivitySummary
}

/** The term reporting is asked for on a school day: autumn runs September to January, spring
 * February to July (DOMAIN.md); August looks back on the spring just ended. */
export function termOn(day: string): string {
  const year = Number(day.slice(0, 4))
  const month = Number(day.slice(5, 7))
  if (month >= 9) return `${year}-${year + 1}-autumn`
  if (month === 1) return `${year - 1}-${year}-autumn`
  return `${year - 1}-${year}-spring`
}

/** The term and the ones before it, newest first: the page's term picker. */
export function recentTerms(day: string, count = 4): string[] {
  const terms = [termOn(day)]
  while (terms.length < count) {
    const last = terms[terms.length - 1] as string
    const start = Number(last.slice(0, 4))
    terms.push(last.endsWith('autumn') ? `${start - 1}-${start}-spring` : `${start}-${start + 1}-autumn`)
  }
  return terms
}

/** "2026-2027-autumn" → its words' parts, for "2026–2027 学年第一学期". */
export function termParts(term: string): { schoolYear: string; kind: 'autumn' | 'spring' } {
  return { schoolYear: term.slice(0, 9), kind: term.endsWith('spring') ? 'spring' : 'autumn' }
}

/** A measure's Chinese name: the short one every console page uses, else reporting's label
 * without its explanation. */
export function measureName(measure: Pick<ReportMeasure, 'key' | 'label'>): string {
  const known = shortName(measure.key)
  if (known !== measure.key) return known
  return measure.label.replace(/\s*\(.*\)\s*$/, '') || measure.key
}

/** How reporting counts the measure: its label's explanation in brackets, when it has one. */
export function measureNote(measure: Pick<ReportMeasure, 'label'>): string {
  return /\(([^()]*)\)\s*$/.exec(measure.label)?.[1] ?? ''
}

/** A count as reporting gives it: whole numbers plain, a per-month average to one decimal. */
export function count(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—'
  return Number.isInteger(value) ? String(value) : (Math.round(value * 10) / 10).toFixed(1)
}

/** A measure's actual or target in its own unit. */
export function measureValue(key: string, value: number | null | undefined): string {
  return isRate(key) ? percent(value) : count(value)
}

/** actual − target, signed: "+5%", "−12.5%", "−1". */
export function measureGap(key: string, gap: number): string {
  const shown = measureValue(key, Math.abs(gap))
  if (shown === '0' || shown === '0%') return shown
  return `${gap > 0 ? '+' : '−'}${shown}`
}

/** "12/30" beside a rate, when reporting gives what it counted. */
export function fraction(measure: Pick<ReportMeasure, 'numerator' | 'denominator'>): string {
  if (measure.numerator === null || measure.numerator === undefined) return ''
  if (measure.denominator === null || measure.denominator === undefined) return ''
  return `${measure.numerator}/${measure.denominator}`
}

export const STATUS_KEYS: Record<MeasureStatus, `report.status.${MeasureStatus}`> = {
  met: 'report.status.met',
  on_track: 'report.status.on_track',
  at_risk: 'report.status.at_risk',
  missed: 'report.status.missed',
}

/** An Element Plus tag type for a status: good news green or blue, trouble amber or red. */
export function statusTone(status: MeasureStatus): 'success' | 'primary' | 'warning' | 'danger' {
  return ({ met: 'success', on_track: 'primary', at_risk: 'warning', missed: 'danger' } as const)[status]
}

/** How many measures stand at each status, in the order met → missed. */
export function statusCounts(measures: readonly ReportMeasure[]): Record<MeasureStatus, number> {
  const counts: Record<MeasureStatus, number> = { met: 0, on_track: 0, at_risk: 0, missed: 0 }
  for (const m of measures) counts[m.status] += 1
  return counts
}

/** A class's coverage and 三必访 coverage, as the chart and its table show them. A class with no
 * 三必访 student has none to visit: shown as "—", not 0% or 100%. */
export interface ClassFigureRow {
  classId: string
  name: string
  grade: number
  coverage: number
  mandatoryCoverage: number | null
  row: ReportClass
}

export function classRows(classes: readonly ReportClass[], names: Record<string, string>): ClassFigureRow[] {
  return classes.map((c) => ({
    classId: c.class_id,
    name: names[c.class_id] ?? c.class_id,
    grade: c.grade,
    coverage: c.coverage,
    mandatoryCoverage: c.mandatory ? c.mandatory_visited / c.mandatory : null,
    row: c,
  }))
}

/** Each rate measure's actual against its target, as percentages (the measures chart). Counts are
 * in the table only: a rate and a number of meetings share no axis. */
export function rateMeasures(measures: readonly ReportMeasure[]): { name: string; actual: number; target: number; status: MeasureStatus }[] {
  return measures
    .filter((m) => isRate(m.key))
    .map((m) => ({ name: measureName(m), actual: pct(m.actual), target: pct(m.target), status: m.status }))
}

/** A rate as a number of percent for a chart axis, one decimal. */
export function pct(rate: number | null | undefined): number {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return 0
  return Math.round(rate * 1000) / 10
}

const MEETING_KINDS: Record<string, string> = {
  parent_meeting: '家长会',
  parent_school_session: '家长学校授课',
  open_day: '家长开放日',
  committee_meeting: '家委会会议',
  reception_day: '校长接待日',
}
const MEETING_LEVELS: Record<string, string> = { school: '全校', grade: '年级', class: '班级' }
const PARTNER_KINDS: Record<string, string> = {
  community_committee: '社区居委会',
  police_station: '派出所',
  enterprise: '企业',
  village: '村委会',
  health_centre: '社区卫生服务中心',
  ngo: '社会组织',
}

/** "parent_meeting:class" → "班级家长会"; a kind the page does not know keeps its key. */
export function meetingKindName(kindLevel: string): string {
  const [kind = '', level = ''] = kindLevel.split(':')
  const name = MEETING_KINDS[kind]
  if (!name) return kindLevel
  // a school's open day or reception day is the school's: its level says nothing more
  if (kind !== 'parent_meeting' && kind !== 'committee_meeting' && kind !== 'parent_school_session') return name
  return `${MEETING_LEVELS[level] ?? ''}${name}`
}

export function partnerKindName(kind: string): string {
  return PARTNER_KINDS[kind] ?? kind
}

/** The activity summary's meetings as rows (name, count), in the policy's order of kinds. */
export function meetingRows(byKind: Record<string, number>): { name: string; count: number }[] {
  const order = Object.keys(MEETING_KINDS)
  return Object.entries(byKind)
    .sort(([a], [b]) => {
      const ka = order.indexOf(a.split(':')[0] ?? ''), kb = order.indexOf(b.split(':')[0] ?? '')
      return (ka < 0 ? 99 : ka) - (kb < 0 ? 99 : kb) || a.localeCompare(b)
    })
    .map(([key, n]) => ({ name: meetingKindName(key), count: n }))
}

/** Partner activities and their 人次 by partner kind. */
export function partnerRows(activity: Pick<ActivitySummary, 'partner_activities_by_kind' | 'participant_times_by_kind'>): { name: string; activities: number; participantTimes: number }[] {
  return Object.keys(activity.partner_activities_by_kind)
    .sort()
    .map((kind) => ({
      name: partnerKindName(kind),
      activities: activity.partner_activities_by_kind[kind] ?? 0,
      participantTimes: activity.participant_times_by_kind[kind] ?? 0,
    }))
}
