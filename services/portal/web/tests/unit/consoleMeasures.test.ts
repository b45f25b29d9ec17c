import { describe, expect, it } from 'vitest'
import { beijingParts, monthLabel, schoolYearOf, termSchoolYear } from '../../src/lib/console/calendar'
import { MEASURE_KEYS, WEIGHT_ORDER, isRate, measureName, percent, percentValue, weightName, weightedName } from '../../src/lib/console/measures'

describe("the measures' names", () => {
  it("are reporting's short names (measures.py SHORT_LABELS), one per measure", () => {
    expect(measureName('home_visit_coverage')).toBe('家访覆盖率')
    expect(measureName('mandatory_visit_coverage')).toBe('三必访覆盖率')
    expect(measureName('teachers_reaching_visit_quota_per_term')).toBe('家访达标教师比例')
    expect(measureName('guardian_contacts_per_month')).toBe('家长月度联系覆盖率')
    expect(measureName('score')).toBe('综合得分')
    expect(measureName('new_rule')).toBe('new_rule')
    expect(new Set(MEASURE_KEYS.map((k) => measureName(k))).size).toBe(MEASURE_KEYS.length)
    expect(MEASURE_KEYS).not.toContain('score')
  })

  it("name each weight by the measure it weighs, as the bulletin does (WEIGHT_LABELS)", () => {
    expect(WEIGHT_ORDER[0]).toBe('weight_home_visit_coverage')
    expect(weightedName('weight_parent_meetings')).toBe('班级家长会次数')
    expect(weightName('weight_mandatory_visit_coverage')).toBe('三必访覆盖率权重')
    expect(weightName('weight_guardian_contact')).toBe('家长月度联系覆盖率权重')
    expect(weightName('weight_home_visit_coverage', 'en')).toBe('Home-visit coverage weight')
  })

  it('know which measures are rates', () => {
    expect(isRate('mandatory_visit_coverage')).toBe(true)
    expect(isRate('open_days_per_term')).toBe(false)
  })
})

describe('rates as percentages', () => {
  it('show at most one decimal, and a dash without a rate', () => {
    expect(percent(7 / 8)).toBe('87.5%')
    expect(percent(2 / 3)).toBe('66.7%')
    expect(percent(0.6)).toBe('60%')
    expect(percent(1)).toBe('100%')
    expect(percent(null)).toBe('—')
    expect(percent(Number.NaN)).toBe('—')
    expect(percentValue(0.875)).toBe(87.5)
    expect(percentValue(undefined)).toBeNull()
  })
})

describe('the school calendar', () => {
  it('starts a school year in September', () => {
    expect(schoolYearOf('2026-11-20')).toBe('2026-2027')
    expect(schoolYearOf('2027-03-01')).toBe('2026-2027')
    expect(schoolYearOf('2026-09-01')).toBe('2026-2027')
    expect(schoolYearOf('2026-08-31')).toBe('2025-2026')
    expect(termSchoolYear('2026-2027-spring')).toBe('2026-2027')
  })

  it('writes a month as people do, the value unchanged', () => {
    expect(monthLabel('2026-10')).toBe('2026年10月')
    expect(monthLabel('2027-01')).toBe('2027年1月')
    expect(monthLabel('2026-10', 'en')).toBe('2026-10')
  })

  it("reads an instant back as the school's date and time", () => {
    expect(beijingParts('2026-11-27T00:30:00Z')).toEqual({ date: '2026-11-27', time: '08:30' })
    // late evening UTC is the next morning in Beijing
    expect(beijingParts('2026-11-26T23:00:00Z')).toEqual({ date: '2026-11-27', time: '07:00' })
    expect(beijingParts('nonsense')).toEqual({ date: '', time: '' })
  })
})
