import { describe, expect, it } from 'vitest'
import { reportEn, reportZhCN } from '../../src/i18n/console/report'
import {
  STATUS_KEYS,
  classRows,
  measureGap,
  measureName,
  measureNote,
  measureValue,
  meetingKindName,
  meetingRows,
  partnerRows,
  percent,
  rateMeasures,
  recentTerms,
  statusCounts,
  statusTone,
  termOn,
  type ReportClass,
  type ReportMeasure,
} from '../../src/lib/console/report'

const measure = (key: string, actual: number, target: number, status: ReportMeasure['status'], label = key): ReportMeasure => ({
  key, label, actual, target, gap: actual - target, status,
})

describe('the term reporting is asked for', () => {
  it('is autumn from September to January and spring from February', () => {
    expect(termOn('2026-11-20')).toBe('2026-2027-autumn')
    expect(termOn('2027-01-10')).toBe('2026-2027-autumn')
    expect(termOn('2027-03-01')).toBe('2026-2027-spring')
    expect(termOn('2027-08-15')).toBe('2026-2027-spring')
  })
  it('offers the terms before it, newest first', () => {
    expect(recentTerms('2026-11-20', 3)).toEqual(['2026-2027-autumn', '2025-2026-spring', '2025-2026-autumn'])
  })
})

describe("a measure's figures", () => {
  it('shows rates as percentages to one decimal and counts as numbers', () => {
    expect(percent(0.875)).toBe('87.5%')
    expect(percent(2 / 3)).toBe('66.7%')
    expect(percent(1)).toBe('100%')
    expect(percent(null)).toBe('—')
    expect(measureValue('home_visit_coverage', 0.4)).toBe('40%')
    expect(measureValue('class_parent_meetings_per_term', 2)).toBe('2')
    expect(measureValue('reception_days_per_month', 0.6667)).toBe('0.7')
  })
  it('signs the gap in the measure’s unit', () => {
    expect(measureGap('home_visit_coverage', -0.125)).toBe('−12.5%')
    expect(measureGap('open_days_per_term', 1)).toBe('+1')
    expect(measureGap('open_days_per_term', 0)).toBe('0')
  })
  it("names measures in Chinese, reporting's explanation beside", () => {
    expect(measureName(measure('mandatory_visit_coverage', 0, 1, 'at_risk', '三必访覆盖率 (本学期, 三必访学生中已家访的比例)'))).toBe('三必访覆盖率')
    const unknown = measure('new_rule', 0, 1, 'at_risk', '新指标 (说明)')
    expect(measureName(unknown)).toBe('新指标')
    expect(measureNote(unknown)).toBe('说明')
  })
  it('says each status in plain Chinese, with a tone', () => {
    expect((['met', 'on_track', 'at_risk', 'missed'] as const).map((s) => reportZhCN[STATUS_KEYS[s]])).toEqual(['达标', '进度正常', '有风险', '未达标'])
    expect(statusTone('missed')).toBe('danger')
    expect(statusCounts([measure('a', 1, 1, 'met'), measure('b', 0, 1, 'at_risk'), measure('c', 0, 1, 'at_risk')])).toEqual({ met: 1, on_track: 0, at_risk: 2, missed: 0 })
  })
  it('charts only the rate measures, in percent', () => {
    expect(rateMeasures([measure('home_visit_coverage', 0.4, 0.6667, 'on_track'), measure('open_days_per_term', 0, 1, 'at_risk')])).toEqual([
      { name: '家访覆盖率', actual: 40, target: 66.7, status: 'on_track' },
    ])
  })
})

describe('classes and activities', () => {
  const klass = (id: string, mandatory: number, seen: number): ReportClass => ({
    class_id: id, grade: 3, enrolled: 6, visited: 3, coverage: 0.5, mandatory, mandatory_visited: seen,
    parent_meetings: 0, visits: 3, open_follow_ups: 0, overdue_follow_ups: 0,
  })
  it('names classes and shows no 三必访 rate for a class without 三必访 students', () => {
    const rows = classRows([klass('c1', 3, 1), klass('c2', 0, 0)], { c1: '三年级2班' })
    expect(rows.map((r) => [r.name, r.mandatoryCoverage])).toEqual([['三年级2班', 1 / 3], ['c2', null]])
  })
  it('says meetings and partner kinds in Chinese', () => {
    expect(meetingKindName('parent_meeting:class')).toBe('班级家长会')
    expect(meetingKindName('open_day:school')).toBe('家长开放日')
    expect(meetingRows({ 'reception_day:school': 1, 'parent_meeting:school': 2 })).toEqual([
      { name: '全校家长会', count: 2 },
      { name: '校长接待日', count: 1 },
    ])
    expect(partnerRows({ partner_activities_by_kind: { police_station: 2 }, participant_times_by_kind: { police_station: 120 } })).toEqual([
      { name: '派出所', activities: 2, participantTimes: 120 },
    ])
  })
  it('has every word in English too', () => {
    expect(Object.keys(reportEn).sort()).toEqual(Object.keys(reportZhCN).sort())
  })
})
