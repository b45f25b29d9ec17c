// One name per measure and per ranking weight, the same on every console page (the school's report,
// the bureau's dashboard, the bulletin page and the policy editor) and the same as reporting's own
// words (reporting/measures.py SHORT_LABELS and WEIGHT_LABELS, which the bulletin prints); which
// measures are rates; and a rate as a percentage. No I/O.

import type { Locale } from '../http'

/** The measures in reporting's order, each with its short name (the bulletin's column heading). */
const NAMES: Record<Locale, Record<string, string>> = {
  'zh-CN': {
    home_visit_coverage: '家访覆盖率',
    mandatory_visit_coverage: '三必访覆盖率',
    holiday_visit_coverage: '假期家访覆盖率',
    teachers_reaching_visit_quota_per_term: '家访达标教师比例',
    class_parent_meetings_per_term: '班级家长会次数',
    school_parent_meetings_per_term: '全校家长会次数',
    parent_school_sessions_per_quarter_per_grade: '家长学校授课次数',
    open_days_per_term: '开放日次数',
    committee_meetings_per_term: '家委会会议次数',
    reception_days_per_month: '校长接待日次数',
    partner_activities_per_agreement_per_term: '共建活动次数',
    guardian_contacts_per_month: '家长月度联系覆盖率',
    score: '综合得分',
  },
  en: {
    home_visit_coverage: 'Home-visit coverage',
    mandatory_visit_coverage: 'Mandatory-visit coverage',
    holiday_visit_coverage: 'Holiday home-visit coverage',
    teachers_reaching_visit_quota_per_term: 'Teachers reaching the visit quota',
    class_parent_meetings_per_term: 'Class parent meetings',
    school_parent_meetings_per_term: 'School parent meetings',
    parent_school_sessions_per_quarter_per_grade: 'Parent school sessions',
    open_days_per_term: 'Open days',
    committee_meetings_per_term: 'Committee meetings',
    reception_days_per_month: 'Principal reception days',
    partner_activities_per_agreement_per_term: 'Partner activities',
    guardian_contacts_per_month: 'Monthly guardian contact',
    score: 'Score',
  },
}

/** The measures' keys in reporting's order (the bulletin's columns). */
export const MEASURE_KEYS: readonly string[] = Object.keys(NAMES['zh-CN']).filter((k) => k !== 'score')

/** Each ranking weight by the measure it weighs (reporting SCORED), in the policy's order. */
export const WEIGHTED: Readonly<Record<string, string>> = {
  weight_home_visit_coverage: 'home_visit_coverage',
  weight_mandatory_visit_coverage: 'mandatory_visit_coverage',
  weight_parent_meetings: 'class_parent_meetings_per_term',
  weight_partner_activities: 'partner_activities_per_agreement_per_term',
  weight_guardian_contact: 'guardian_contacts_per_month',
}

export const WEIGHT_ORDER: readonly string[] = Object.keys(WEIGHTED)

/** A measure's short name: 家访覆盖率; the key itself for one this page does not know. */
export function measureName(key: string, locale: Locale = 'zh-CN'): string {
  return NAMES[locale][key] ?? key
}

/** The measure a weight weighs, by its name: weight_parent_meetings → 班级家长会次数. */
export function weightedName(weight: string, locale: Locale = 'zh-CN'): string {
  const measure = WEIGHTED[weight]
  return measure ? measureName(measure, locale) : weight
}

/** A weight's own name, as the bulletin and the policy say it: 家访覆盖率权重. */
export function weightName(weight: string, locale: Locale = 'zh-CN'): string {
  const measure = weightedName(weight, locale)
  return locale === 'en' ? `${measure} weight` : `${measure}权重`
}

/** The measures that are rates (0..1, shown as percentages); the others count meetings or sessions. */
export const RATE_MEASURES: ReadonlySet<string> = new Set([
  'home_visit_coverage',
  'mandatory_visit_coverage',
  'holiday_visit_coverage',
  'teachers_reaching_visit_quota_per_term',
  'guardian_contacts_per_month',
])

export function isRate(key: string): boolean {
  return RATE_MEASURES.has(key)
}

/** A rate as the percentage number a chart draws, to one decimal (0.875 → 87.5); null without one. */
export function percentValue(rate: number | null | undefined): number | null {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return null
  return Math.round(rate * 1000) / 10
}

/** A rate (0..1) as a percentage with at most one decimal: 0.875 → "87.5%", 2/3 → "66.7%", 0.6 → "60%"; "—" without one. */
export function percent(rate: number | null | undefined): string {
  const value = percentValue(rate)
  if (value === null) return '—'
  return `${Number.isInteger(value) ? value.toFixed(0) : value.toFixed(1)}%`
}
