import { describe, expect, it } from 'vitest'
import type { ClassGuardian, RosterEntry } from '../../src/lib/classTypes'
import { answerCounts, attendanceRate, joinRoster, toggled } from '../../src/lib/roster'

const roster: RosterEntry[] = [
  { guardian_id: 'g-2', student_ids: ['stu-2'], answer: 'no', attended: false },
  { guardian_id: 'g-1', student_ids: ['stu-1'], answer: 'yes', attended: true },
  { guardian_id: 'g-9', student_ids: ['stu-9'], answer: null, attended: false },
]
const guardians: ClassGuardian[] = [
  { guardian_id: 'g-1', name: '王芳', relationship: '母亲', student_ids: ['stu-1'] },
  { guardian_id: 'g-2', name: '李强', relationship: '父亲', student_ids: ['stu-2'] },
]

describe("a meeting's roster", () => {
  it("joins each guardian's name and children's names; an unknown guardian stays an id", () => {
    const rows = joinRoster(roster, guardians, { 'stu-1': '王小明', 'stu-2': '李小红' })
    expect(rows.find((r) => r.guardianId === 'g-1')).toMatchObject({ name: '王芳', relationship: '母亲', children: ['王小明'], answer: 'yes', attended: true })
    expect(rows.find((r) => r.guardianId === 'g-9')).toMatchObject({ name: 'g-9', children: ['stu-9'] })
  })
  it('counts the answers, the unanswered apart', () => {
    expect(answerCounts(joinRoster(roster, guardians, {}))).toEqual({ yes: 1, no: 1, maybe: 0, none: 1 })
  })
  it('taps a guardian in, and out again', () => {
    const once = toggled(new Set(), 'g-1')
    expect([...once]).toEqual(['g-1'])
    expect([...toggled(once, 'g-1')]).toEqual([])
  })
  it('measures attendance as attended over invited, none without invitations', () => {
    expect(attendanceRate(3, 4)).toBe(0.75)
    expect(attendanceRate(0, 0)).toBeNull()
  })
})
