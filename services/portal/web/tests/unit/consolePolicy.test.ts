import { describe, expect, it } from 'vitest'
import {
  TARGETS,
  elapsedSeconds,
  formatTarget,
  fromForm,
  keepsPolling,
  policyBody,
  policyForm,
  policyProblems,
  schoolYearsAround,
  toForm,
  weightSumPercent,
  weightsAddUp,
  type RebuildRun,
} from '../../src/lib/console/policy'

const DEFAULTS: Record<string, number> = {
  home_visit_coverage: 0.667,
  holiday_visit_coverage: 0.6,
  mandatory_visit_coverage: 1.0,
  visits_per_teacher_per_term: 5,
  guardian_contacts_per_month: 1,
  class_parent_meetings_per_term: 1,
  school_parent_meetings_per_term: 1,
  parent_school_sessions_per_quarter_per_grade: 1,
  open_days_per_term: 1,
  committee_meetings_per_term: 1,
  reception_days_per_month: 1,
  partner_activities_per_agreement_per_term: 1,
  monthly_submission_deadline_day: 5,
  weight_home_visit_coverage: 0.3,
  weight_mandatory_visit_coverage: 0.3,
  weight_parent_meetings: 0.15,
  weight_partner_activities: 0.1,
  weight_guardian_contact: 0.15,
}

describe('the policy form', () => {
  it('lists every default target once', () => {
    expect(TARGETS.map((t) => t.key).sort()).toEqual(Object.keys(DEFAULTS).sort())
  })

  it('shows rates and weights in percent and keeps them as fractions', () => {
    expect(toForm('home_visit_coverage', 0.667)).toBe(66.7)
    expect(toForm('weight_parent_meetings', 0.15)).toBe(15)
    expect(toForm('visits_per_teacher_per_term', 5)).toBe(5)
    expect(fromForm('home_visit_coverage', 66.7)).toBe(0.667)
    expect(fromForm('weight_guardian_contact', 15)).toBe(0.15)
    expect(formatTarget('mandatory_visit_coverage', 1)).toBe('100%')
    expect(formatTarget('monthly_submission_deadline_day', 5)).toBe('5')
  })

  it('round-trips the defaults unchanged', () => {
    expect(policyBody(policyForm(DEFAULTS)).targets).toEqual(DEFAULTS)
    expect(policyProblems(policyForm(DEFAULTS))).toEqual([])
    expect(weightSumPercent(policyForm(DEFAULTS))).toBe(100)
  })

  it('says the weights do not add up, with their sum', () => {
    const form = { ...policyForm(DEFAULTS), weight_partner_activities: 5 }
    expect(policyProblems(form)).toEqual([{ field: 'targets', kind: 'weightsSum', sum: 95 }])
  })

  it('takes weights within the registry tolerance of 0.05%', () => {
    expect(weightsAddUp(100.04)).toBe(true)
    expect(weightsAddUp(99.9)).toBe(false)
    const typed = { ...policyForm(DEFAULTS), weight_parent_meetings: 15.5, weight_guardian_contact: 14.5 }
    expect(policyProblems(typed)).toEqual([])
  })

  it('says a rate target is above 100% or below 0', () => {
    const above = { ...policyForm(DEFAULTS), mandatory_visit_coverage: 120 }
    const below = { ...policyForm(DEFAULTS), holiday_visit_coverage: -1 }
    expect(policyProblems(above)).toEqual([{ field: 'mandatory_visit_coverage', kind: 'rateRange' }])
    expect(policyProblems(below)).toEqual([{ field: 'holiday_visit_coverage', kind: 'rateRange' }])
  })

  it('says a field is empty, a count negative, a deadline day every month does not have', () => {
    const form = { ...policyForm(DEFAULTS), open_days_per_term: null, reception_days_per_month: -1, monthly_submission_deadline_day: 31 }
    expect(policyProblems(form).map((p) => [p.field, p.kind])).toEqual([
      ['open_days_per_term', 'missing'],
      ['reception_days_per_month', 'count'],
      ['monthly_submission_deadline_day', 'day'],
    ])
  })
})

describe('school years', () => {
  it('offers the current school year, the next and the two before', () => {
    expect(schoolYearsAround('2026-11-20')).toEqual(['2027-2028', '2026-2027', '2025-2026', '2024-2025'])
  })
})

describe('the rebuild', () => {
  const run = (over: Partial<RebuildRun> = {}): RebuildRun => ({
    rebuild_id: 'rb-1',
    database: 'reporting_rb1',
    status: 'running',
    started_at: '2026-11-20T08:00:00Z',
    finished_at: null,
    events_replayed: 120,
    facts_stored: 100,
    skipped: 0,
    seconds: null,
    replay_seconds: null,
    error: null,
    ...over,
  })
  it('polls only while it runs', () => {
    expect(keepsPolling(run())).toBe(true)
    expect(keepsPolling(run({ status: 'done' }))).toBe(false)
    expect(keepsPolling(run({ status: 'failed' }))).toBe(false)
    expect(keepsPolling(null)).toBe(false)
  })
  it('counts the seconds so far, or the time it took', () => {
    expect(elapsedSeconds(run(), new Date('2026-11-20T08:00:42Z'))).toBe(42)
    expect(elapsedSeconds(run({ status: 'done', seconds: 12.6, finished_at: '2026-11-20T08:00:13Z' }))).toBe(13)
  })
})
