import { describe, expect, it } from 'vitest'
import type { ProposedVisit } from '../../src/lib/classTypes'
import { addable, confirmation, dayProblem, mandatoryLeftOut, ordered, refusedVisits, withDate, withStudent, withVisitor, without } from '../../src/lib/termPlan'

const visit = (student_id: string, planned_on: string, mandatory = false, visitor = 't-head'): ProposedVisit => ({
  student_id, planned_on, visiting_staff_ids: [visitor], mode: 'in_person', mandatory,
})

const proposed = [visit('stu-3', '2026-11-23'), visit('stu-1', '2026-11-24', true), visit('stu-2', '2026-11-20', true)]

describe('adjusting a proposed term plan', () => {
  it('shows 三必访 first, then by date', () => {
    expect(ordered(proposed).map((v) => v.student_id)).toEqual(['stu-2', 'stu-1', 'stu-3'])
  })
  it("moves one visit's date without touching the plan it came from", () => {
    const moved = withDate(proposed, 'stu-3', '2026-12-02')
    expect(moved.find((v) => v.student_id === 'stu-3')?.planned_on).toBe('2026-12-02')
    expect(proposed[0]?.planned_on).toBe('2026-11-23')
  })
  it('gives a visit to another of the class\'s teachers', () => {
    expect(withVisitor(proposed, 'stu-1', 't-math').find((v) => v.student_id === 'stu-1')?.visiting_staff_ids).toEqual(['t-math'])
  })
  it('removes a student and adds one (once)', () => {
    const fewer = without(proposed, 'stu-3')
    expect(fewer.map((v) => v.student_id)).not.toContain('stu-3')
    const more = withStudent(fewer, 'stu-7', '2026-11-30', 't-head', false)
    expect(more.map((v) => v.student_id)).toEqual(['stu-2', 'stu-1', 'stu-7'])
    expect(withStudent(more, 'stu-7', '2026-12-01', 't-head', false)).toHaveLength(3)
  })
  it('offers only enrolled students not yet in the plan', () => {
    const students = [
      { student_id: 'stu-1', status: 'enrolled' },
      { student_id: 'stu-8', status: 'enrolled' },
      { student_id: 'stu-9', status: 'transferred' },
    ]
    expect(addable(students, proposed).map((s) => s.student_id)).toEqual(['stu-8'])
  })
  it('names the 三必访 students removed from the plan', () => {
    expect(mandatoryLeftOut(proposed, without(proposed, 'stu-1'))).toEqual(['stu-1'])
    expect(mandatoryLeftOut(proposed, without(proposed, 'stu-3'))).toEqual([])
  })
  it('flags a day outside the term or on a weekend', () => {
    expect(dayProblem('2026-11-21', '2026-09-01', '2027-01-20')).toBe('weekend')
    expect(dayProblem('2027-02-01', '2026-09-01', '2027-01-20')).toBe('outside')
    expect(dayProblem('2026-11-23', '2026-09-01', '2027-01-20')).toBeNull()
    expect(dayProblem('', null, null)).toBe('outside')
  })
  it('sends every visit as scheduling confirms it, 三必访 first', () => {
    const body = confirmation(proposed)
    expect(body.visits.map((v) => v.student_id)).toEqual(['stu-2', 'stu-1', 'stu-3'])
    expect(Object.keys(body.visits[0] ?? {}).sort()).toEqual(['mandatory', 'mode', 'planned_on', 'student_id', 'visiting_staff_ids'])
  })
})

describe("the server's refusal of single visits", () => {
  it('is shown against the student of the visit it names, as sent', () => {
    const sent = confirmation(proposed)
    const refused = refusedVisits(
      [
        { field: 'body.visits.1.student_id', message: '该学生本学期已有计划中的家访' },
        { field: 'body.visits', message: '计划不能为空' },
        { field: 'body.visits.9.student_id', message: '不存在的第 9 条' },
      ],
      sent,
    )
    expect(sent.visits[1]?.student_id).toBe('stu-1')
    expect(refused).toEqual({ 'stu-1': '该学生本学期已有计划中的家访' })
  })
  it('names nobody when the refusal is about the whole plan', () => {
    expect(refusedVisits([{ field: 'body.school_year', message: '学年不对' }], confirmation(proposed))).toEqual({})
  })
})
