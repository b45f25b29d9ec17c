import { describe, expect, it } from 'vitest'
import {
  actionKey,
  addDays,
  coverageMeasure,
  dayLabel,
  expectedCoverage,
  dueFollowUps,
  isHeadTeacher,
  isMandatory,
  percent,
  reportTerm,
  statusKey,
  unvisited,
} from '../../src/lib/classes'
import type { ClassReport, MustVisit, OpenFollowUp } from '../../src/lib/classTypes'
import { classesEn, classesZhCN } from '../../src/i18n/classes'

function report(measures?: ClassReport['measures']): ClassReport {
  return {
    class_id: 'cls-3-2', term: '2026-2027-autumn', as_of: '2026-11-20', enrolled: 30, visited: 12, coverage: 0.4,
    mandatory: 3, mandatory_visited: 1, parent_meetings: 0, open_follow_ups: 0, overdue_follow_ups: 0, measures,
  }
}

describe("a class's standing", () => {
  it("asks reporting for the term scheduling says holds today", () => {
    expect(reportTerm({ school_year: '2026-2027', term: 'autumn' })).toBe('2026-2027-autumn')
  })
  it("takes the home-visit coverage measure, with reporting's status, from the report", () => {
    const measure = coverageMeasure(
      report([
        { key: 'mandatory_visit_coverage', label: '三必访', target: 1, actual: 0.3, status: 'at_risk' },
        { key: 'home_visit_coverage', label: '家访覆盖率', target: 0.667, actual: 0.4, status: 'on_track' },
      ]),
    )
    expect(measure?.status).toBe('on_track')
    expect(measure?.target).toBe(0.667)
  })
  it('shows no status when the report carries no measures', () => {
    expect(coverageMeasure(report())).toBeNull()
    expect(coverageMeasure(null)).toBeNull()
  })
  it('names each status in plain Chinese and English', () => {
    const words = (['met', 'on_track', 'at_risk', 'missed'] as const).map((s) => classesZhCN[statusKey(s)])
    expect(words).toEqual(['达标', '进度正常', '有风险', '未达标'])
    expect(classesEn[statusKey('at_risk')]).toBe('At risk')
  })
  it('shows rates as whole percentages', () => {
    expect(percent(0.6667)).toBe('67%')
    expect(percent(1)).toBe('100%')
    expect(percent(null)).toBe('—')
  })
})

describe('the 三必访 students still unvisited', () => {
  const must: MustVisit = {
    school_year: '2026-2027', term: 'autumn', starts_on: '2026-09-01', ends_on: '2027-01-20',
    students: [
      { student_id: 'stu-2', care_categories: ['hardship'], planned: { visit_id: 'v-1', planned_on: '2026-11-25', visiting_staff_ids: ['t-1'] } },
      { student_id: 'stu-1', care_categories: ['left_behind'], planned: null },
      { student_id: 'stu-9', care_categories: ['special_attention'], planned: null },
    ],
  }
  it('by name, those with no visit planned first; an id the roster lacks stays an id', () => {
    const rows = unvisited(must, { 'stu-1': '王小明', 'stu-2': '李小红' })
    expect(rows.map((r) => r.name)).toEqual(['王小明', 'stu-9', '李小红'])
    expect(rows[2]).toMatchObject({ plannedOn: '2026-11-25', visitId: 'v-1', careCategories: ['hardship'] })
  })
  it('counts only the three mandatory care categories', () => {
    expect(isMandatory(['single_parent', 'hardship'])).toBe(true)
    expect(isMandatory(['single_parent', 'disability'])).toBe(false)
    expect(isMandatory(null)).toBe(false)
  })
})

describe('follow-ups due', () => {
  const item = (index: number, due_on: string, overdue = false): OpenFollowUp => ({
    visit_id: 'v-1', index, class_id: 'cls', student_id: 'stu-1', action: `事项${index}`, owner_id: 't-1', due_on, overdue,
  })
  it('keeps the overdue and those due within a week, overdue first', () => {
    const due = dueFollowUps([item(0, '2026-11-26'), item(1, '2026-12-20'), item(2, '2026-11-10', true), item(3, '2026-11-27')], '2026-11-20')
    expect(due.map((f) => f.index)).toEqual([2, 0, 3])
  })
  it('counts days across a month end', () => {
    expect(addDays('2026-11-28', 7)).toBe('2026-12-05')
  })
})

describe('the head teacher', () => {
  it("is who the registry's class teachers say, else the class's head_teacher_id", () => {
    const teachers = [
      { staff_id: 't-head', name: '王老师', roles: ['head_teacher'], head_teacher: true },
      { staff_id: 't-math', name: '李老师', roles: ['subject_teacher'], head_teacher: false },
    ]
    expect(isHeadTeacher('t-head', null, teachers)).toBe(true)
    expect(isHeadTeacher('t-math', { head_teacher_id: 't-math' }, teachers)).toBe(false)
    expect(isHeadTeacher('t-head', { head_teacher_id: 't-head' }, [])).toBe(true)
    expect(isHeadTeacher(null, { head_teacher_id: null }, [])).toBe(false)
  })
})

describe('the classes words', () => {
  it('have every key in English too, and the same placeholders', () => {
    for (const [key, zh] of Object.entries(classesZhCN)) {
      const en = classesEn[key as keyof typeof classesZhCN]
      expect(en, key).toBeTruthy()
      const names = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()
      expect(names(en), key).toEqual(names(zh))
    }
  })
})

describe('dates the page writes out itself', () => {
  it('reads 11月20日（周五） whatever the phone\'s locale', () => {
    expect(dayLabel('2026-11-20', 'zh-CN')).toBe('11月20日（周五）')
    expect(dayLabel('2027-01-03', 'zh-CN')).toBe('1月3日（周日）')
    expect(dayLabel('2026-11-20', 'en')).toBe('Fri 20 Nov')
  })
  it('leaves what is not a date as it is', () => {
    expect(dayLabel('', 'zh-CN')).toBe('')
    expect(dayLabel('soon', 'zh-CN')).toBe('soon')
  })
})

describe("an action's Idempotency-Key", () => {
  it('is new for each action and names what it is for', () => {
    const keys = new Set(Array.from({ length: 50 }, () => actionKey('term-plan')))
    expect(keys.size).toBe(50)
    expect(actionKey('meeting', () => 'abc')).toBe('meeting-abc')
  })
})

describe('what 有风险 / 进度正常 are measured against', () => {
  const autumn = { term: 'autumn', starts_on: '2026-09-01', ends_on: '2027-01-20' }
  it("is the target paced over the school year, as reporting paces it", () => {
    // 81 of the autumn term's 142 days gone, autumn being the first half of the school year
    expect(expectedCoverage(0.67, autumn, '2026-11-20')).toBeCloseTo((0.67 * 81) / 142 / 2, 6)
    expect(expectedCoverage(0.67, autumn, '2027-01-20')).toBeCloseTo(0.335, 6)
    expect(expectedCoverage(0.67, { ...autumn, term: 'spring' }, '2027-02-01')).toBeCloseTo(0.67, 6)
    expect(expectedCoverage(0.67, autumn, '2026-08-01')).toBe(0)
  })
  it('puts a class at 17% under the 19% due by 20 November (reporting: at risk)', () => {
    expect(percent(expectedCoverage(0.67, autumn, '2026-11-20'))).toBe('19%')
  })
})
