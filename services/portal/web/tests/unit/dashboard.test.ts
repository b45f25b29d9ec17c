import { describe, expect, it } from 'vitest'
import {
  completenessRows,
  coverageRows,
  currentTerm,
  lastEndedMonth,
  measureFigure,
  monthChoices,
  monthsSoFar,
  pairOption,
  pairRows,
  percent,
  percentValue,
  rateBarsOption,
  targetOf,
  termChoices,
  termLabel,
  trendOption,
  weightRows,
  type Completeness,
  type PairComparison,
  type Ranking,
  type TrendMonth,
} from '../../src/lib/console/dashboard'
import { bureauEn, bureauZhCN } from '../../src/i18n/console/bureau'
import { termSchoolYear } from '../../src/lib/console/calendar'
import { weightedName } from '../../src/lib/console/measures'

const ranking: Ranking = {
  term: '2026-2027-autumn',
  as_of: '2026-11-20',
  weights: {
    weight_guardian_contact: 0.15,
    weight_home_visit_coverage: 0.3,
    weight_mandatory_visit_coverage: 0.3,
    weight_parent_meetings: 0.15,
    weight_partner_activities: 0.1,
  },
  schools: [
    {
      rank: 1, school_id: 'sch-9', name: '叶城县第九小学', score: 91.3, statuses: { met: 3, at_risk: 1 },
      measures: {
        home_visit_coverage: { actual: 0.875, target: 0.6667, status: 'met' },
        mandatory_visit_coverage: { actual: 1, target: 1, status: 'met' },
      },
    },
    {
      rank: 2, school_id: 'sch-ls', name: '良舍小学', score: 40, statuses: { missed: 2 },
      measures: {
        home_visit_coverage: { actual: 0.3333, target: 0.6667, status: 'at_risk' },
        mandatory_visit_coverage: { actual: 0.5, target: 1, status: 'at_risk' },
      },
    },
  ],
}

describe('the pickers start on the school clock', () => {
  it('takes the term holding the day: autumn from September to January, spring from February', () => {
    expect(currentTerm('2026-11-20')).toBe('2026-2027-autumn')
    expect(currentTerm('2026-09-01')).toBe('2026-2027-autumn')
    expect(currentTerm('2027-01-31')).toBe('2026-2027-autumn')
    expect(currentTerm('2027-02-01')).toBe('2026-2027-spring')
    expect(currentTerm('2027-08-31')).toBe('2026-2027-spring')
  })
  it('offers the current term and the ones before it, newest first', () => {
    expect(termChoices('2026-11-20')).toEqual(['2026-2027-autumn', '2025-2026-spring', '2025-2026-autumn', '2024-2025-spring'])
    expect(termChoices('2027-03-01', 2)).toEqual(['2026-2027-spring', '2026-2027-autumn'])
  })
  it('names the school year and the term in words', () => {
    expect(termSchoolYear('2026-2027-autumn')).toBe('2026-2027')
    expect(termLabel('2026-2027-spring', { autumn: '秋季学期', spring: '春季学期' })).toBe('2026-2027 春季学期')
  })
  it('takes the last month that has ended, across the new year too', () => {
    expect(lastEndedMonth('2026-11-20')).toBe('2026-10')
    expect(lastEndedMonth('2027-01-05')).toBe('2026-12')
    expect(monthChoices('2027-02-10', 3)).toEqual(['2027-01', '2026-12', '2026-11'])
  })
})

describe('figures as people read them', () => {
  it('shows a rate as a percentage with at most one decimal', () => {
    expect(percent(0.875)).toBe('87.5%')
    expect(percent(0.6)).toBe('60%')
    expect(percent(1)).toBe('100%')
    expect(percent(0.66667)).toBe('66.7%')
    expect(percent(0)).toBe('0%')
    expect(percent(null)).toBe('—')
    expect(percentValue(0.3333)).toBe(33.3)
  })
  it('shows rate measures as percentages and counts as they are', () => {
    expect(measureFigure('home_visit_coverage', 0.5)).toBe('50%')
    expect(measureFigure('guardian_contacts_per_month', 0.9167)).toBe('91.7%')
    expect(measureFigure('class_parent_meetings_per_term', 2)).toBe('2')
    expect(measureFigure('open_days_per_term', undefined)).toBe('—')
  })
  it("lists the policy's weights in the policy's order, each as a percentage", () => {
    expect(weightRows(ranking.weights)).toEqual([
      { key: 'weight_home_visit_coverage', share: '30%' },
      { key: 'weight_mandatory_visit_coverage', share: '30%' },
      { key: 'weight_parent_meetings', share: '15%' },
      { key: 'weight_partner_activities', share: '10%' },
      { key: 'weight_guardian_contact', share: '15%' },
    ])
    expect(weightRows({ weight_new: 0.5, weight_home_visit_coverage: 0.5 }).map((w) => w.key)).toEqual([
      'weight_home_visit_coverage',
      'weight_new',
    ])
  })
  it('has a Chinese and an English name for every weight the dashboard lists, and every label in both languages', () => {
    for (const w of weightRows(ranking.weights)) {
      expect(weightedName(w.key)).not.toBe(w.key)
      expect(weightedName(w.key, 'en')).not.toBe(w.key)
    }
    expect(Object.keys(bureauEn).sort()).toEqual(Object.keys(bureauZhCN).sort())
  })
})

describe('figures shaped into charts', () => {
  it("takes each school's coverage and 三必访 coverage in the ranking's order", () => {
    expect(coverageRows(ranking)).toEqual([
      { school_id: 'sch-9', name: '叶城县第九小学', coverage: 0.875, mandatory: 1 },
      { school_id: 'sch-ls', name: '良舍小学', coverage: 0.3333, mandatory: 0.5 },
    ])
    expect(coverageRows(null)).toEqual([])
    expect(targetOf(ranking, 'home_visit_coverage')).toBe(0.6667)
    expect(targetOf(ranking, 'open_days_per_term')).toBeNull()
  })
  it('draws one bar per school in percent, with the target as a line', () => {
    const rows = coverageRows(ranking)
    const option = rateBarsOption(rows.map((r) => r.name), rows.map((r) => r.coverage), '家访覆盖率', 0.6667) as {
      xAxis: { data: string[] }
      series: { name: string; type: string; data: number[]; markLine: { data: { yAxis: number }[] } }[]
    }
    expect(option.xAxis.data).toEqual(['叶城县第九小学', '良舍小学'])
    expect(option.series[0]).toMatchObject({ name: '家访覆盖率', type: 'bar', data: [87.5, 33.3] })
    expect(option.series[0]?.markLine.data[0]?.yAxis).toBe(66.7)
  })
  it('draws the trend as lines: counts on the left axis, guardians reached in percent on the right', () => {
    const months: TrendMonth[] = [
      { month: '2026-09', visits: 4, meetings: 1, activities: 0, reached: 6, guardians: 8, guardian_contact_rate: 0.75 },
      { month: '2026-10', visits: 2, meetings: 0, activities: 1, reached: 0, guardians: 0, guardian_contact_rate: null },
      { month: '2026-12', visits: 0, meetings: 0, activities: 0, reached: 0, guardians: 8, guardian_contact_rate: 0 },
    ]
    const shown = monthsSoFar(months, '2026-11-20')
    expect(shown.map((m) => m.month)).toEqual(['2026-09', '2026-10'])
    const option = trendOption(shown, { visits: '家访', meetings: '会议', activities: '共建', contact: '联系' }) as {
      xAxis: { data: string[] }
      series: { name: string; type: string; data: (number | null)[]; yAxisIndex?: number }[]
    }
    expect(option.xAxis.data).toEqual(['2026-09', '2026-10'])
    expect(option.series.map((s) => s.type)).toEqual(['line', 'line', 'line', 'line'])
    expect(option.series[0]?.data).toEqual([4, 2])
    expect(option.series[3]).toMatchObject({ name: '联系', yAxisIndex: 1, data: [75, null] })
  })
  it('compares a pair side by side: the score, then each measure the schools have', () => {
    const comparison: PairComparison = {
      pair_id: 'pair-1', term: '2026-2027-autumn', exchanges: 2, teachers_benefiting: 12, students_benefiting: 80,
      schools: [
        { school_id: 'sch-9', name: '叶城县第九小学', role: 'supporting', score: 91.25, measures: { home_visit_coverage: 0.875, class_parent_meetings_per_term: 2 } },
        { school_id: 'sch-ls', name: '良舍小学', role: 'supported', score: 40, measures: { home_visit_coverage: 0.5, class_parent_meetings_per_term: 1 } },
      ],
    }
    expect(pairRows(comparison)).toEqual([
      { key: 'score', figures: ['91.3', '40.0'] },
      { key: 'home_visit_coverage', figures: ['87.5%', '50%'] },
      { key: 'class_parent_meetings_per_term', figures: ['2', '1'] },
    ])
    const option = pairOption(comparison, (k) => `label:${k}`) as { xAxis: { data: string[] }; series: { name: string; data: number[] }[] }
    expect(option.xAxis.data).toEqual(['label:home_visit_coverage'])
    expect(option.series).toMatchObject([
      { name: '叶城县第九小学', data: [87.5] },
      { name: '良舍小学', data: [50] },
    ])
  })
})

describe('completeness and timeliness of a month', () => {
  it('says who confirmed, who was late, who logged nothing; the silent schools first', () => {
    const completeness: Completeness = {
      month: '2026-10', schools: 3, submitted: 2, on_time: 1, completeness: 0.6667, timeliness: 0.3333,
      silent_schools: ['sch-c'],
      rows: [
        { school_id: 'sch-a', name: '丹阳小学', logged: { visits: 5, meetings: 1, activities: 0 }, logged_nothing: false, classes_without_visits: ['c1', 'c2'], submission: 'confirmed', late: false, late_entries: 0 },
        { school_id: 'sch-b', name: '良舍小学', logged: { visits: 0, meetings: 0, activities: 0 }, logged_nothing: true, classes_without_visits: [], submission: 'nothing_to_report', late: true, late_entries: 1 },
        { school_id: 'sch-c', name: '刘王楼初中', logged: { visits: 0, meetings: 0, activities: 0 }, logged_nothing: true, classes_without_visits: ['c3'], submission: null, late: null, late_entries: 0 },
      ],
    }
    const rows = completenessRows(completeness)
    expect(rows.map((r) => [r.name, r.submission, r.timeliness, r.silent])).toEqual([
      ['刘王楼初中', 'missing', 'none', true],
      ['丹阳小学', 'confirmed', 'on_time', false],
      ['良舍小学', 'nothing_to_report', 'late', false],
    ])
    expect(rows[1]?.classesWithoutVisits).toBe(2)
    expect(rows[2]?.lateEntries).toBe(1)
  })
})
