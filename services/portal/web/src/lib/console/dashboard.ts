// The bureau's dashboard rules, free of the DOM so that they are unit-tested: which term and month
// the pickers start on (the school clock), rates as percentages, and reporting's figures shaped
// into ECharts options and the tables beside them. Every number comes from reporting's answer as
// it stands; nothing here recomputes a figure, it only picks and formats. Counts and rates only:
// reporting gives the bureau no person's name, and nothing here asks for one.

import type { EChartsCoreOption } from 'echarts/core'
import { termSchoolYear } from './calendar'
import { RATE_MEASURES, WEIGHT_ORDER, percent, percentValue } from './measures'

export { RATE_MEASURES, WEIGHT_ORDER, percent, percentValue }

// Reporting's shapes (services/reporting/openapi.json), only the fields shown; tolerant of additions.

export type MeasureStatus = 'met' | 'on_track' | 'at_risk' | 'missed'

export interface Standing {
  actual: number
  target: number
  status: MeasureStatus
}

/** reporting RankedSchool */
export interface RankedSchool {
  rank: number
  school_id: string
  name: string
  score: number
  measures: Record<string, Standing>
  statuses: Partial<Record<MeasureStatus, number>>
}

/** reporting GET /v1/rankings */
export interface Ranking {
  term: string
  as_of: string
  weights: Record<string, number>
  schools: RankedSchool[]
}

/** reporting GET /v1/overview */
export interface Overview {
  term: string
  as_of: string
  schools: number
  students_enrolled: number
  students_visited: number
  home_visit_coverage: number
  mandatory_students: number
  mandatory_visit_coverage: number
  visits: number
  meetings: number
  partner_activities: number
  participant_times: number
}

/** reporting TrendMonth (GET /v1/trends) */
export interface TrendMonth {
  month: string
  visits: number
  meetings: number
  activities: number
  reached: number
  guardians: number
  guardian_contact_rate: number | null
}

/** reporting SchoolCompleteness */
export interface SchoolCompleteness {
  school_id: string
  name: string
  logged: { visits: number; meetings: number; activities: number }
  logged_nothing: boolean
  classes_without_visits: string[]
  submission: 'confirmed' | 'nothing_to_report' | null
  late: boolean | null
  late_entries: number
}

/** reporting GET /v1/completeness */
export interface Completeness {
  month: string
  schools: number
  submitted: number
  on_time: number
  completeness: number
  timeliness: number
  silent_schools: string[]
  rows: SchoolCompleteness[]
}

/** registry PairPublic (GET /v1/pairs) */
export interface Pair {
  pair_id: string
  supporting_school_id: string
  supported_school_ids: string[]
}

/** reporting PairSide */
export interface PairSide {
  school_id: string
  name: string
  role: 'supporting' | 'supported'
  score: number
  measures: Record<string, number>
}

/** reporting GET /v1/pairs/{id}/comparison */
export interface PairComparison {
  pair_id: string
  term: string
  schools: PairSide[]
  exchanges: number
  teachers_benefiting: number
  students_benefiting: number
}

// The school clock: terms and months ---------------------------------------------------------------

function yearMonth(today: string): [number, number] {
  const [year, month] = today.split('-').map(Number)
  return [year ?? 1970, month ?? 1]
}

/** The term holding ``today`` (YYYY-MM-DD), as reporting names it: autumn runs September–January,
 * spring February–August (the summer break belongs to the spring term's school year). */
export function currentTerm(today: string): string {
  const [year, month] = yearMonth(today)
  if (month >= 9) return `${year}-${year + 1}-autumn`
  if (month === 1) return `${year - 1}-${year}-autumn`
  return `${year - 1}-${year}-spring`
}

/** The term before ``term``. */
export function previousTerm(term: string): string {
  const [start, , kind] = term.split('-')
  const first = Number(start)
  return kind === 'spring' ? `${first}-${first + 1}-autumn` : `${first - 1}-${first}-spring`
}

/** The terms a picker offers: the one holding today and the three before it, newest first. */
export function termChoices(today: string, count = 4): string[] {
  const terms = [currentTerm(today)]
  while (terms.length < count) terms.push(previousTerm(terms[terms.length - 1] ?? ''))
  return terms
}


/** The term's words: "2026-2027学年 秋季学期". */
export function termLabel(term: string, kinds: { autumn: string; spring: string }): string {
  const kind = term.endsWith('-spring') ? kinds.spring : kinds.autumn
  return `${termSchoolYear(term)} ${kind}`
}

function monthName(year: number, month: number): string {
  return `${year}-${String(month).padStart(2, '0')}`
}

/** The last month that has ended by ``today`` (the month a bulletin or completeness is read for). */
export function lastEndedMonth(today: string): string {
  const [year, month] = yearMonth(today)
  return month === 1 ? monthName(year - 1, 12) : monthName(year, month - 1)
}

/** The ended months a picker offers, newest first. */
export function monthChoices(today: string, count = 12): string[] {
  let [year, month] = yearMonth(lastEndedMonth(today))
  const months: string[] = []
  while (months.length < count) {
    months.push(monthName(year, month))
    month -= 1
    if (month === 0) {
      year -= 1
      month = 12
    }
  }
  return months
}

// Figures ----------------------------------------------------------------------------------------

/** A measure's figure as people read it: a rate as a percentage, a count as it is. */
export function measureFigure(key: string, value: number | null | undefined): string {
  if (value === null || value === undefined) return '—'
  if (RATE_MEASURES.has(key)) return percent(value)
  return Number.isInteger(value) ? String(value) : value.toFixed(1)
}

export interface WeightRow {
  key: string
  share: string
}

/** The weights the score used, each as a percentage, in the policy's order (unknown ones last). */
export function weightRows(weights: Record<string, number>): WeightRow[] {
  const known = WEIGHT_ORDER.filter((k) => k in weights)
  const others = Object.keys(weights)
    .filter((k) => !WEIGHT_ORDER.includes(k))
    .sort()
  return [...known, ...others].map((key) => ({ key, share: percent(weights[key]) }))
}

export interface CoverageRow {
  school_id: string
  name: string
  coverage: number | null
  mandatory: number | null
}

/** Each school's home-visit and 三必访 coverage, in the ranking's order. */
export function coverageRows(ranking: Ranking | null | undefined): CoverageRow[] {
  return (ranking?.schools ?? []).map((s) => ({
    school_id: s.school_id,
    name: s.name,
    coverage: s.measures.home_visit_coverage?.actual ?? null,
    mandatory: s.measures.mandatory_visit_coverage?.actual ?? null,
  }))
}

const PERCENT_AXIS = { type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } }

/** One bar per school of one rate measure, with the policy's target as a line (a rate in %). */
export function rateBarsOption(
  names: string[],
  rates: (number | null)[],
  series: string,
  target: number | null,
): EChartsCoreOption {
  return {
    animation: false,
    grid: { left: 48, right: 56, top: 40, bottom: 40, containLabel: true },
    tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (v === null || v === undefined ? '—' : `${String(v)}%`) },
    xAxis: { type: 'category', data: names, axisLabel: { interval: 0, rotate: names.length > 6 ? 30 : 0 } },
    yAxis: PERCENT_AXIS,
    series: [
      {
        name: series,
        type: 'bar',
        data: rates.map(percentValue),
        label: { show: names.length <= 12, position: 'top', formatter: '{c}%' },
        ...(target === null ? {} : { markLine: { symbol: 'none', data: [{ yAxis: percentValue(target) }], label: { formatter: '{c}%', position: 'insideEndTop' } } }),
      },
    ],
  }
}

/** The policy's target of a measure, as the ranking gives it (the same for every school). */
export function targetOf(ranking: Ranking | null | undefined, key: string): number | null {
  return ranking?.schools.find((s) => key in s.measures)?.measures[key]?.target ?? null
}

/** The composite score of each school, in the ranking's order, as horizontal bars (0–100). */
export function scoreBarsOption(ranking: Ranking | null | undefined, series: string): EChartsCoreOption {
  const schools = [...(ranking?.schools ?? [])].reverse() // the first ranked on top
  return {
    animation: false,
    grid: { left: 160, right: 48, top: 16, bottom: 32 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'value', min: 0, max: 100 },
    yAxis: { type: 'category', data: schools.map((s) => s.name) },
    series: [{ name: series, type: 'bar', data: schools.map((s) => s.score), label: { show: true, position: 'right' } }],
  }
}

export interface TrendNames {
  visits: string
  meetings: string
  activities: string
  contact: string
}

/** Month by month: visits, meetings and partner activities (counts, left axis) and the guardians
 * reached (a rate, right axis). */
export function trendOption(months: TrendMonth[], names: TrendNames): EChartsCoreOption {
  return {
    animation: false,
    grid: { left: 48, right: 56, top: 48, bottom: 32 },
    tooltip: { trigger: 'axis' },
    legend: { top: 0, data: [names.visits, names.meetings, names.activities, names.contact] },
    xAxis: { type: 'category', data: months.map((m) => m.month) },
    yAxis: [{ type: 'value', minInterval: 1 }, { ...PERCENT_AXIS, splitLine: { show: false } }],
    series: [
      { name: names.visits, type: 'line', data: months.map((m) => m.visits) },
      { name: names.meetings, type: 'line', data: months.map((m) => m.meetings) },
      { name: names.activities, type: 'line', data: months.map((m) => m.activities) },
      { name: names.contact, type: 'line', yAxisIndex: 1, data: months.map((m) => percentValue(m.guardian_contact_rate)) },
    ],
  }
}

/** The months of a trend that have begun by ``today`` (later months are all zeros, not findings). */
export function monthsSoFar(months: TrendMonth[], today: string): TrendMonth[] {
  const now = today.slice(0, 7)
  return months.filter((m) => m.month <= now)
}

export type SubmissionState = 'confirmed' | 'nothing_to_report' | 'missing'
export type Timeliness = 'on_time' | 'late' | 'none'

export interface CompletenessRow {
  school_id: string
  name: string
  visits: number
  meetings: number
  activities: number
  submission: SubmissionState
  timeliness: Timeliness
  loggedNothing: boolean
  silent: boolean
  classesWithoutVisits: number
  lateEntries: number
}

/** Who confirmed the month, who was late, who logged nothing: one row per school, the silent ones
 * (logged nothing and declared nothing) first. */
export function completenessRows(completeness: Completeness | null | undefined): CompletenessRow[] {
  const silent = new Set(completeness?.silent_schools ?? [])
  const rows = (completeness?.rows ?? []).map(
    (r): CompletenessRow => ({
      school_id: r.school_id,
      name: r.name,
      visits: r.logged.visits,
      meetings: r.logged.meetings,
      activities: r.logged.activities,
      submission: r.submission ?? 'missing',
      timeliness: r.submission ? (r.late ? 'late' : 'on_time') : 'none',
      loggedNothing: r.logged_nothing,
      silent: silent.has(r.school_id),
      classesWithoutVisits: r.classes_without_visits.length,
      lateEntries: r.late_entries,
    }),
  )
  return rows.sort((a, b) => Number(b.silent) - Number(a.silent))
}

/** The measures a pair is compared on, in the order shown. */
export const PAIR_MEASURES = [
  'home_visit_coverage',
  'mandatory_visit_coverage',
  'guardian_contacts_per_month',
  'teachers_reaching_visit_quota_per_term',
  'class_parent_meetings_per_term',
  'partner_activities_per_agreement_per_term',
]

export interface PairRow {
  key: string
  /** One figure per school of the pair, in the comparison's order (supporting school first). */
  figures: string[]
}

/** The paired schools side by side: the score, then each measure, one column per school. */
export function pairRows(comparison: PairComparison): PairRow[] {
  const rows: PairRow[] = [{ key: 'score', figures: comparison.schools.map((s) => s.score.toFixed(1)) }]
  for (const key of PAIR_MEASURES) {
    if (!comparison.schools.some((s) => key in s.measures)) continue
    rows.push({ key, figures: comparison.schools.map((s) => measureFigure(key, s.measures[key])) })
  }
  return rows
}

/** The pair's rate measures as grouped bars, one series per school. */
export function pairOption(comparison: PairComparison, measureName: (key: string) => string): EChartsCoreOption {
  const keys = PAIR_MEASURES.filter((k) => RATE_MEASURES.has(k) && comparison.schools.some((s) => k in s.measures))
  return {
    animation: false,
    grid: { left: 48, right: 24, top: 40, bottom: 40 },
    tooltip: { trigger: 'axis' },
    legend: { top: 0, data: comparison.schools.map((s) => s.name) },
    xAxis: { type: 'category', data: keys.map(measureName), axisLabel: { interval: 0 } },
    yAxis: PERCENT_AXIS,
    series: comparison.schools.map((s) => ({
      name: s.name,
      type: 'bar',
      data: keys.map((k) => percentValue(s.measures[k])),
    })),
  }
}
