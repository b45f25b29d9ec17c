import { describe, expect, it } from 'vitest'
import {
  beijingInstant,
  calendarMeetings,
  canRecordHeld,
  emptyMeetingForm,
  emptyReceptionForm,
  heldRequest,
  invitedClassIds,
  meetingErrors,
  meetingRequest,
  moveRequest,
  receptionErrors,
  receptionRequest,
  receptionRule,
  termOf,
  ticketCounts,
  ticketState,
  ticketsInOrder,
  type CalendarItem,
  type MeetingForm,
  type SchoolClass,
  type Ticket,
} from '../../src/lib/console/meetings'

const classes: SchoolClass[] = [
  { class_id: 'c-31', grade: 3, name: '三年级1班', status: 'active' },
  { class_id: 'c-32', grade: 3, name: '三年级2班', status: 'active' },
  { class_id: 'c-41', grade: 4, name: '四年级1班', status: 'active' },
  { class_id: 'c-33', grade: 3, name: '三年级3班', status: 'closed' },
]
// 2026-11-20 10:00 in Beijing
const now = new Date('2026-11-20T02:00:00Z')

function form(changes: Partial<MeetingForm>): MeetingForm {
  return {
    ...emptyMeetingForm(),
    kind: 'open_day',
    level: 'class',
    classIds: ['c-32'],
    title: '家长开放日',
    date: '2026-11-27',
    startTime: '08:30',
    endTime: '11:30',
    ...changes,
  }
}

describe('the meeting a form names', () => {
  it('names its instants in Beijing whatever the desk is set to', () => {
    expect(beijingInstant('2026-11-27', '08:30')).toBe('2026-11-27T08:30:00+08:00')
    expect(beijingInstant('2026-02-30', '08:30')).toBeNull()
    expect(beijingInstant('2026-11-27', '24:00')).toBeNull()
    expect(beijingInstant('', '08:30')).toBeNull()
  })

  it('invites the chosen classes, every open class of a grade, or the whole school', () => {
    expect(invitedClassIds({ level: 'class', grade: null, classIds: ['c-41'] }, classes)).toEqual(['c-41'])
    expect(invitedClassIds({ level: 'grade', grade: 3, classIds: [] }, classes)).toEqual(['c-31', 'c-32'])
    expect(invitedClassIds({ level: 'school', grade: null, classIds: ['c-41'] }, classes)).toEqual([])
  })

  it("is scheduling's MeetingCreate, agenda one item a line", () => {
    const body = meetingRequest(form({ agenda: '参观课堂\n\n  家长座谈 ', place: ' 三年级2班教室 ' }), classes)
    expect(body).toEqual({
      kind: 'open_day',
      level: 'class',
      class_ids: ['c-32'],
      title: '家长开放日',
      agenda: ['参观课堂', '家长座谈'],
      starts_at: '2026-11-27T08:30:00+08:00',
      ends_at: '2026-11-27T11:30:00+08:00',
      place: '三年级2班教室',
    })
    expect(meetingRequest(form({ kind: 'parent_meeting', level: 'grade', grade: 3, classIds: [] }), classes)).toMatchObject({
      level: 'grade',
      grade: 3,
      class_ids: ['c-31', 'c-32'],
    })
  })

  it('says what is missing or wrong, each under its field', () => {
    expect(meetingErrors(form({}), classes, now)).toEqual({})
    expect(meetingErrors(form({ title: '会', classIds: [] }), classes, now)).toEqual({
      title: 'meetings.error.title',
      classIds: 'meetings.error.classes',
    })
    expect(meetingErrors(form({ level: 'grade', grade: null }), classes, now)).toEqual({ grade: 'meetings.error.grade' })
    expect(meetingErrors(form({ level: 'grade', grade: 6 }), classes, now)).toEqual({ grade: 'meetings.error.gradeEmpty' })
    expect(meetingErrors(form({ level: 'school', classIds: [] }), classes, now)).toEqual({})
    expect(meetingErrors(form({ date: '' }), classes, now)).toEqual({ date: 'meetings.error.date' })
    expect(meetingErrors(form({ endTime: '08:00' }), classes, now)).toEqual({ endTime: 'meetings.error.endTime' })
  })

  it('refuses a start that is not ahead of the real clock', () => {
    expect(meetingErrors(form({ date: '2026-11-20', startTime: '09:59', endTime: '11:00' }), classes, now)).toEqual({
      startTime: 'meetings.error.past',
    })
    expect(meetingErrors(form({ date: '2026-11-20', startTime: '10:01', endTime: '11:00' }), classes, now)).toEqual({})
  })

  it('moves a meeting to a time ahead only', () => {
    expect(moveRequest('2026-11-28', '14:00', '15:30', now)).toEqual({
      move: { starts_at: '2026-11-28T14:00:00+08:00', ends_at: '2026-11-28T15:30:00+08:00' },
    })
    expect(moveRequest('2026-11-19', '14:00', '15:30', now)).toEqual({ error: 'meetings.error.past' })
    expect(moveRequest('2026-11-28', '14:00', '13:00', now)).toEqual({ error: 'meetings.error.endTime' })
  })
})

describe("the school's calendar", () => {
  const item = (id: string, starts: string, status = 'planned', kind: CalendarItem['kind'] = 'meeting'): CalendarItem => ({
    kind,
    id,
    title: id,
    starts_at: starts,
    ends_at: starts,
    place: '',
    status,
    meeting_kind: 'parent_meeting',
  })

  it('lists meetings only, those ahead soonest first, then the rest latest first', () => {
    const rows = calendarMeetings(
      [
        item('later', '2026-12-10T01:00:00Z'),
        item('visit', '2026-11-21T01:00:00Z', 'planned', 'home_visit'),
        item('past', '2026-11-01T01:00:00Z', 'held'),
        item('soon', '2026-11-21T01:00:00Z'),
        item('cancelled', '2026-11-25T01:00:00Z', 'cancelled'),
        item('older', '2026-10-01T01:00:00Z', 'held'),
      ],
      now,
    )
    expect(rows.map((r) => r.id)).toEqual(['soon', 'later', 'cancelled', 'past', 'older'])
  })

  it('takes attendance once a planned meeting has started', () => {
    expect(canRecordHeld({ status: 'planned', starts_at: '2026-11-20T01:59:00Z' }, now)).toBe(true)
    expect(canRecordHeld({ status: 'planned', starts_at: '2026-11-20T02:01:00Z' }, now)).toBe(false)
    expect(canRecordHeld({ status: 'held', starts_at: '2026-11-20T01:00:00Z' }, now)).toBe(false)
  })

  it('records who came once each, the minutes and the questions asked', () => {
    expect(heldRequest(['g-2', 'g-1', 'g-2'], '  纪要 ', [{ question: ' 作业量？ ', answer: '' }, { question: ' ', answer: 'x' }])).toEqual({
      attended_guardian_ids: ['g-1', 'g-2'],
      minutes: '纪要',
      questions: [{ question: '作业量？', answer: null }],
    })
    expect(heldRequest([], ' ', []).minutes).toBeNull()
  })
})

describe("the principal's reception day", () => {
  it('is a monthly or weekly rule', () => {
    expect(receptionRule(1, 'FR')).toBe('FREQ=MONTHLY;BYDAY=1FR')
    expect(receptionRule(-1, 'WE')).toBe('FREQ=MONTHLY;BYDAY=-1WE')
    expect(receptionRule(0, 'MO')).toBe('FREQ=WEEKLY;BYDAY=MO')
  })

  it('falls in the term of the school clock', () => {
    expect(termOf('2026-11-20')).toBe('autumn')
    expect(termOf('2027-01-10')).toBe('autumn')
    expect(termOf('2027-03-02')).toBe('spring')
  })

  it("is scheduling's RecurringMeetingCreate", () => {
    expect(receptionRequest({ ...emptyReceptionForm(), place: ' 校长室 ' }, '2026-11-20')).toEqual({
      kind: 'reception_day',
      title: '校长接待日',
      rrule: 'FREQ=MONTHLY;BYDAY=1FR',
      start_time: '09:00',
      duration_minutes: 120,
      place: '校长室',
      school_year: '2026-2027',
      term: 'autumn',
    })
  })

  it('says what is wrong', () => {
    expect(receptionErrors(emptyReceptionForm())).toEqual({})
    expect(receptionErrors({ ...emptyReceptionForm(), title: '', startTime: '9', durationMinutes: 10 })).toEqual({
      title: 'meetings.error.title',
      startTime: 'meetings.error.startTime',
      durationMinutes: 'meetings.error.duration',
    })
  })
})

describe("guardians' tickets", () => {
  const ticket = (id: string, changes: Partial<Ticket>): Ticket => ({
    ticket_id: id,
    channel: 'mailbox',
    meeting_id: null,
    question: '？',
    raised_by_guardian_id: 'g-1',
    owner_id: null,
    raised_on: '2026-11-10',
    due_on: '2026-11-17',
    reply: null,
    replied_on: null,
    overdue: false,
    escalated_to: null,
    version: 1,
    ...changes,
  })

  it('are overdue, open or replied', () => {
    expect(ticketState({ reply: null, overdue: true })).toBe('overdue')
    expect(ticketState({ reply: null, overdue: false })).toBe('open')
    expect(ticketState({ reply: '已安排', overdue: false })).toBe('replied')
  })

  it('list the overdue first, then the open by due date, then the replied, latest reply first', () => {
    const rows = ticketsInOrder([
      ticket('replied-old', { reply: 'a', replied_on: '2026-11-12' }),
      ticket('open-late', { due_on: '2026-11-27' }),
      ticket('overdue', { due_on: '2026-11-17', overdue: true, escalated_to: 'school_admin' }),
      ticket('replied-new', { reply: 'b', replied_on: '2026-11-19' }),
      ticket('open-soon', { due_on: '2026-11-23' }),
    ])
    expect(rows.map((r) => r.ticket_id)).toEqual(['overdue', 'open-soon', 'open-late', 'replied-new', 'replied-old'])
    expect(ticketCounts(rows)).toEqual({ overdue: 1, open: 2, replied: 2 })
  })
})
