import { describe, expect, it } from 'vitest'
import {
  draftFromOutcomeBody,
  draftFromVisitBody,
  outcomeCanBecomeVisit,
  visitDraftFromOutcome,
  emptyFields,
  outcomeBody,
  outcomeProblems,
  splitTopics,
  twoStaffAdvised,
  visitBody,
  visitProblems,
  type OutcomeDraft,
  type VisitDraft,
} from '../../src/lib/visitForm'

const rules = { today: '2026-11-20', termStart: '2026-09-01', offered: new Set(['stu-1', 'stu-2']) }

function draft(changes: Partial<VisitDraft> = {}): VisitDraft {
  return { classId: 'c1', studentId: 'stu-1', staffIds: [], ...emptyFields('2026-11-19'), mode: 'in_person', ...changes }
}

describe('a visit to log, before it is sent', () => {
  it('a complete visit has no problem', () => {
    expect(visitProblems(draft(), rules)).toEqual({})
  })

  it('a visit dated in the future says why', () => {
    expect(visitProblems(draft({ visitedOn: '2026-11-21' }), rules)).toEqual({ visited_on: 'dateFuture' })
    expect(visitProblems(draft({ visitedOn: '2026-11-20' }), rules)).toEqual({}) // today is fine
  })

  it('a visit before the term says why, when the term is known', () => {
    expect(visitProblems(draft({ visitedOn: '2026-08-31' }), rules)).toEqual({ visited_on: 'dateBeforeTerm' })
    expect(visitProblems(draft({ visitedOn: '2026-08-31' }), { ...rules, termStart: null })).toEqual({})
  })

  it('a student outside the teacher\'s classes is refused; none chosen is asked for', () => {
    expect(visitProblems(draft({ studentId: 'stu-9' }), rules)).toEqual({ student_id: 'studentNotOffered' })
    expect(visitProblems(draft({ studentId: '' }), rules)).toEqual({ student_id: 'studentRequired' })
  })

  it('asks for a mode and a date', () => {
    expect(visitProblems(draft({ mode: '', visitedOn: '' }), rules)).toEqual({ mode: 'modeRequired', visited_on: 'dateRequired' })
  })

  it('a follow-up needs an action, an owner and a due date on or after the visit', () => {
    const problems = visitProblems(
      draft({
        followUps: [
          { action: '', ownerId: '', dueOn: '' },
          { action: '联系心理老师', ownerId: 'stf-1', dueOn: '2026-11-18' },
          { action: '复访', ownerId: 'stf-1', dueOn: '2026-11-19' },
        ],
      }),
      rules,
    )
    expect(problems).toEqual({
      'follow_ups.0.action': 'followUpAction',
      'follow_ups.0.owner_id': 'followUpOwner',
      'follow_ups.0.due_on': 'followUpDue',
      'follow_ups.1.due_on': 'followUpDueBeforeVisit',
    })
  })

  it('asking the guardian to confirm needs the summary they read', () => {
    expect(visitProblems(draft({ guardianConfirmation: true }), rules)).toEqual({ shareable_summary: 'summaryForConfirmation' })
    expect(visitProblems(draft({ guardianConfirmation: true, summary: '孩子学习认真。' }), rules)).toEqual({})
  })
})

describe('the body scheduling takes', () => {
  it('names the other visitors only, trims, drops empty text, keeps the follow-ups', () => {
    const body = visitBody(
      draft({
        staffIds: ['stf-1', 'stf-2', 'stf-2'],
        topics: ['学习情况', ' 学习情况 ', '安全'],
        findings: '  ',
        summary: ' 孩子学习认真。 ',
        followUps: [{ action: ' 复访 ', ownerId: 'stf-2', dueOn: '2026-12-01' }],
        guardianConfirmation: true,
      }),
      'stf-1',
    )
    expect(body).toEqual({
      student_id: 'stu-1',
      class_id: 'c1',
      visited_on: '2026-11-19',
      mode: 'in_person',
      topics: ['学习情况', '安全'],
      findings: null,
      follow_ups: [{ action: '复访', owner_id: 'stf-2', due_on: '2026-12-01' }],
      shareable_summary: '孩子学习认真。',
      guardian_confirmation: true,
      visiting_staff_ids: ['stf-2'],
    })
  })

  it('comes back as the draft for 修改后重发', () => {
    const original = draft({ staffIds: ['stf-2'], topics: ['学习情况'], summary: '好', followUps: [{ action: '复访', ownerId: 'stf-2', dueOn: '2026-12-01' }] })
    const again = draftFromVisitBody(visitBody(original, 'stf-1'))
    expect(again).toEqual({ ...original, findings: '' })
  })

  it('splits typed topics on the usual separators', () => {
    expect(splitTopics('作业，睡眠、 手机;;\n 安全')).toEqual(['作业', '睡眠', '手机', '安全'])
  })

  it('hints at two staff for an in-person visit made alone only', () => {
    expect(twoStaffAdvised('in_person', [])).toBe(true)
    expect(twoStaffAdvised('in_person', ['stf-2'])).toBe(false)
    expect(twoStaffAdvised('phone', [])).toBe(false)
  })
})

describe('an outcome', () => {
  const outcome = (changes: Partial<OutcomeDraft>): OutcomeDraft => ({ outcome: '', reason: '', newDate: '', ...emptyFields('2026-11-19'), ...changes })
  const dates = { today: '2026-11-20', termStart: '2026-09-01' }

  it('asks which one', () => {
    expect(outcomeProblems(outcome({}), dates)).toEqual({ outcome: 'outcomeRequired' })
  })

  it('missed, rescheduled and cancelled need a reason; rescheduled a new date not in the past', () => {
    expect(outcomeProblems(outcome({ outcome: 'missed' }), dates)).toEqual({ reason: 'reasonRequired' })
    expect(outcomeProblems(outcome({ outcome: 'rescheduled', reason: '家长外出' }), dates)).toEqual({ new_date: 'newDateRequired' })
    expect(outcomeProblems(outcome({ outcome: 'rescheduled', reason: '家长外出', newDate: '2026-11-19' }), dates)).toEqual({ new_date: 'newDatePast' })
    expect(outcomeProblems(outcome({ outcome: 'cancelled', reason: '学生转学' }), dates)).toEqual({})
  })

  it('done is checked as a logged visit', () => {
    expect(outcomeProblems(outcome({ outcome: 'done', visitedOn: '2026-11-21' }), dates)).toEqual({ visited_on: 'dateFuture' })
  })

  it('sends what each outcome carries', () => {
    expect(outcomeBody(outcome({ outcome: 'rescheduled', reason: ' 家长外出 ', newDate: '2026-11-27' }))).toEqual({
      outcome: 'rescheduled',
      reason: '家长外出',
      new_date: '2026-11-27',
    })
    expect(outcomeBody(outcome({ outcome: 'cancelled', reason: '转学' }))).toEqual({ outcome: 'cancelled', reason: '转学' })
    expect(outcomeBody(outcome({ outcome: 'done', mode: 'phone' }))).toMatchObject({ outcome: 'done', visited_on: '2026-11-19', mode: 'phone' })
  })
})

describe('a refused outcome back in the form', () => {
  const done: OutcomeDraft = {
    outcome: 'done',
    reason: '',
    newDate: '',
    ...emptyFields('2026-11-18'),
    mode: 'in_person',
    topics: ['学习情况'],
    findings: '祖父母照看',
    followUps: [{ action: '联系心理老师', ownerId: 'stf-2', dueOn: '2026-11-27' }],
    summary: '孩子学习认真',
    guardianConfirmation: true,
  }

  it('a done outcome comes back as typed', () => {
    expect(draftFromOutcomeBody(outcomeBody(done), '2026-11-20')).toEqual(done)
  })

  it('a rescheduled one keeps its reason and new date', () => {
    const moved: OutcomeDraft = { ...done, ...emptyFields('2026-11-20'), outcome: 'rescheduled', reason: '家长外出', newDate: '2026-11-25' }
    expect(draftFromOutcomeBody(outcomeBody(moved), '2026-11-20')).toEqual(moved)
  })

  it('改为登记家访: the done fields become a visit of the record\'s student and class', () => {
    const visit = visitDraftFromOutcome(outcomeBody(done), { studentId: 'stu-1', classId: 'c1' }, '2026-11-20')
    expect(visit).toEqual({
      classId: 'c1',
      studentId: 'stu-1',
      staffIds: [],
      visitedOn: '2026-11-18',
      mode: 'in_person',
      topics: ['学习情况'],
      findings: '祖父母照看',
      followUps: [{ action: '联系心理老师', ownerId: 'stf-2', dueOn: '2026-11-27' }],
      summary: '孩子学习认真',
      guardianConfirmation: true,
    })
    expect(visitDraftFromOutcome({ outcome: 'missed', reason: 'x' }, { studentId: 'stu-1', classId: 'c1' }, '2026-11-20')).toBeNull()
  })

  it('only a done outcome refused because its planned visit was settled or is gone can become a visit', () => {
    const body = outcomeBody(done)
    const settled = 'https://errors.district.example/visit-settled'
    expect(outcomeCanBecomeVisit({ status: 409, problemType: settled }, body)).toBe(true)
    expect(outcomeCanBecomeVisit({ status: 404, problemType: null }, body)).toBe(true)
    expect(outcomeCanBecomeVisit({ status: 422, problemType: null }, body)).toBe(false)
    expect(outcomeCanBecomeVisit({ status: 409, problemType: 'request-in-progress' }, body)).toBe(false)
    expect(outcomeCanBecomeVisit({ status: 409, problemType: settled }, { outcome: 'missed', reason: 'x' })).toBe(false)
  })
})
