// The school admin's meetings (MeetingsPage, MeetingRecord) and guardians' tickets (TicketsPage),
// kept free of the DOM so that they are unit-tested: the meeting a form names (scheduling's
// MeetingCreate, its instants in Beijing whatever the desk's zone), the principal's reception day
// as a recurrence rule over the term the school clock is in, the calendar's meetings, and the
// tickets in the order a school admin acts on them.

import type { ClassInfo } from '../classTypes'
import { schoolYearOf } from './calendar'

export const MEETING_KINDS = [
  'parent_meeting',
  'open_day',
  'parent_school_session',
  'committee_meeting',
  'reception_day',
] as const
export type MeetingKind = (typeof MEETING_KINDS)[number]
/** The kinds scheduled one by one (the reception day is scheduled as a recurring rule). */
export const SINGLE_KINDS: readonly MeetingKind[] = ['parent_meeting', 'open_day', 'parent_school_session', 'committee_meeting']

export const MEETING_LEVELS = ['school', 'grade', 'class'] as const
export type MeetingLevel = (typeof MEETING_LEVELS)[number]

export type MeetingStatus = 'planned' | 'held' | 'cancelled'

/** registry ClassPublic, the fields the forms read. */
export type SchoolClass = Pick<ClassInfo, 'class_id' | 'grade' | 'name'> & Partial<Pick<ClassInfo, 'status'>>

/** scheduling CalendarItem */
export interface CalendarItem {
  kind: 'meeting' | 'home_visit'
  id: string
  title: string
  starts_at?: string | null
  ends_at?: string | null
  on?: string | null
  place: string
  status: string
  meeting_kind?: MeetingKind | null
}

/** scheduling MeetingPublic, as the school admin reads it. */
export interface SchoolMeeting {
  meeting_id: string
  school_id: string
  kind: MeetingKind
  level: MeetingLevel
  class_ids: string[]
  grade?: number | null
  title: string
  agenda: string[]
  starts_at: string
  ends_at: string
  place: string
  status: MeetingStatus
  invited_count: number
  rsvp: Partial<Record<'yes' | 'no' | 'maybe', number>>
  attended_count: number | null
  recorded_after?: boolean
  version: number
}

/** scheduling MeetingCreate */
export interface MeetingRequest {
  kind: MeetingKind
  level: MeetingLevel
  class_ids: string[]
  grade?: number
  title: string
  agenda: string[]
  starts_at: string
  ends_at: string
  place: string
}

export interface MeetingForm {
  kind: MeetingKind
  level: MeetingLevel
  grade: number | null
  classIds: string[]
  title: string
  /** one agenda item a line */
  agenda: string
  /** YYYY-MM-DD on the school's calendar */
  date: string
  /** HH:mm in Beijing */
  startTime: string
  endTime: string
  place: string
}

export function emptyMeetingForm(): MeetingForm {
  return {
    kind: 'parent_meeting',
    level: 'class',
    grade: null,
    classIds: [],
    title: '',
    agenda: '',
    date: '',
    startTime: '',
    endTime: '',
    place: '',
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/
const CLOCK = /^([01]\d|2[0-3]):[0-5]\d$/

/** The instant a school date and a Beijing time name, as ISO 8601 with its offset. */
export function beijingInstant(date: string, time: string): string | null {
  if (!DAY.test(date) || !CLOCK.test(time)) return null
  const text = `${date}T${time}:00+08:00`
  const parsed = new Date(text)
  if (Number.isNaN(parsed.getTime())) return null
  // 2026-02-30 parses as 3 March in some engines: the date must be the one written
  const back = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(parsed)
  return back === date ? text : null
}

/** The classes a meeting invites: the chosen ones for a class meeting, all the grade's for a grade
 * meeting, none for the whole school (scheduling invites every guardian then). */
export function invitedClassIds(form: Pick<MeetingForm, 'level' | 'grade' | 'classIds'>, classes: readonly SchoolClass[]): string[] {
  if (form.level === 'class') return [...form.classIds]
  if (form.level === 'grade') return classes.filter((c) => c.grade === form.grade && c.status !== 'closed').map((c) => c.class_id)
  return []
}

export const TITLE_MIN = 2
export const TITLE_MAX = 80

/** What the form lacks, as i18n keys under the field's name (the server checks again). Start
 * instants are on the real clock: a meeting lies ahead of now. */
export function meetingErrors(form: MeetingForm, classes: readonly SchoolClass[], now: Date): Record<string, string> {
  const errors: Record<string, string> = {}
  const title = form.title.trim()
  if (title.length < TITLE_MIN || title.length > TITLE_MAX) errors.title = 'meetings.error.title'
  if (form.level === 'grade' && !form.grade) errors.grade = 'meetings.error.grade'
  else if (form.level === 'grade' && !invitedClassIds(form, classes).length) errors.grade = 'meetings.error.gradeEmpty'
  if (form.level === 'class' && !form.classIds.length) errors.classIds = 'meetings.error.classes'
  const starts = beijingInstant(form.date, form.startTime)
  const ends = beijingInstant(form.date, form.endTime)
  if (!DAY.test(form.date)) errors.date = 'meetings.error.date'
  else if (!starts) errors.startTime = 'meetings.error.startTime'
  else if (new Date(starts).getTime() <= now.getTime()) errors.startTime = 'meetings.error.past'
  if (starts && (!ends || new Date(ends).getTime() <= new Date(starts).getTime())) errors.endTime = 'meetings.error.endTime'
  return errors
}

/** scheduling MeetingCreate for the form (call once meetingErrors is empty). */
export function meetingRequest(form: MeetingForm, classes: readonly SchoolClass[]): MeetingRequest {
  const starts = beijingInstant(form.date, form.startTime)
  const ends = beijingInstant(form.date, form.endTime)
  if (!starts || !ends) throw new Error('the meeting has no time')
  const request: MeetingRequest = {
    kind: form.kind,
    level: form.level,
    class_ids: invitedClassIds(form, classes),
    title: form.title.trim(),
    agenda: form.agenda
      .split('\n')
      .map((item) => item.trim())
      .filter(Boolean),
    starts_at: starts,
    ends_at: ends,
    place: form.place.trim(),
  }
  if (form.level === 'grade' && form.grade) request.grade = form.grade
  return request
}

/** scheduling MeetingMove from a reschedule form. */
export function moveRequest(date: string, startTime: string, endTime: string, now: Date): { move?: { starts_at: string; ends_at: string }; error?: string } {
  const starts = beijingInstant(date, startTime)
  const ends = beijingInstant(date, endTime)
  if (!starts) return { error: 'meetings.error.startTime' }
  if (new Date(starts).getTime() <= now.getTime()) return { error: 'meetings.error.past' }
  if (!ends || new Date(ends).getTime() <= new Date(starts).getTime()) return { error: 'meetings.error.endTime' }
  return { move: { starts_at: starts, ends_at: ends } }
}


/** The school's meetings from its calendar (planned home visits left out), the next ones first,
 * then those past, the latest first. */
export function calendarMeetings(items: readonly CalendarItem[], now: Date): CalendarItem[] {
  const meetings = items.filter((item) => item.kind === 'meeting' && item.starts_at)
  const at = (item: CalendarItem) => new Date(item.starts_at ?? '').getTime()
  const ahead = meetings.filter((m) => at(m) >= now.getTime() && m.status === 'planned').sort((a, b) => at(a) - at(b))
  const rest = meetings.filter((m) => !ahead.includes(m)).sort((a, b) => at(b) - at(a))
  return [...ahead, ...rest]
}

/** Whether attendance can be recorded: a planned meeting once it has started (scheduling's rule). */
export function canRecordHeld(meeting: Pick<SchoolMeeting, 'status' | 'starts_at'>, now: Date): boolean {
  return meeting.status === 'planned' && new Date(meeting.starts_at).getTime() <= now.getTime()
}

// The principal's reception day (校长接待日) ---------------------------------------------------

export type Weekday = 'MO' | 'TU' | 'WE' | 'TH' | 'FR'
export const WEEKDAYS: readonly Weekday[] = ['MO', 'TU', 'WE', 'TH', 'FR']
/** 0: every week; 1–4: the nth of that weekday in each month; -1: the last. */
export type Ordinal = 0 | 1 | 2 | 3 | 4 | -1
export const ORDINALS: readonly Ordinal[] = [1, 2, 3, 4, -1, 0]

export interface ReceptionForm {
  title: string
  ordinal: Ordinal
  weekday: Weekday
  startTime: string
  durationMinutes: number
  place: string
}

export function emptyReceptionForm(): ReceptionForm {
  return { title: '校长接待日', ordinal: 1, weekday: 'FR', startTime: '09:00', durationMinutes: 120, place: '' }
}

/** The RFC 5545 rule scheduling expands over the term: FREQ=MONTHLY;BYDAY=1FR, FREQ=WEEKLY;BYDAY=FR. */
export function receptionRule(ordinal: Ordinal, weekday: Weekday): string {
  return ordinal === 0 ? `FREQ=WEEKLY;BYDAY=${weekday}` : `FREQ=MONTHLY;BYDAY=${ordinal}${weekday}`
}


/** The term a school date is in: autumn September–January, spring February–August. */
export function termOf(day: string): 'autumn' | 'spring' {
  const month = Number(day.split('-')[1])
  return month >= 9 || month === 1 ? 'autumn' : 'spring'
}

export function receptionErrors(form: ReceptionForm): Record<string, string> {
  const errors: Record<string, string> = {}
  const title = form.title.trim()
  if (title.length < TITLE_MIN || title.length > TITLE_MAX) errors.title = 'meetings.error.title'
  if (!CLOCK.test(form.startTime)) errors.startTime = 'meetings.error.startTime'
  if (!Number.isInteger(form.durationMinutes) || form.durationMinutes < 15 || form.durationMinutes > 600) {
    errors.durationMinutes = 'meetings.error.duration'
  }
  return errors
}

/** scheduling RecurringMeetingCreate: the rule over the term today (school clock) is in. */
export function receptionRequest(form: ReceptionForm, schoolToday: string) {
  return {
    kind: 'reception_day' as const,
    title: form.title.trim(),
    rrule: receptionRule(form.ordinal, form.weekday),
    start_time: form.startTime,
    duration_minutes: form.durationMinutes,
    place: form.place.trim(),
    school_year: schoolYearOf(schoolToday),
    term: termOf(schoolToday),
  }
}

// Attendance --------------------------------------------------------------------------------

export interface QuestionDraft {
  question: string
  answer: string
}

/** scheduling MeetingHeldRecord */
export function heldRequest(attended: Iterable<string>, minutes: string, questions: readonly QuestionDraft[]) {
  return {
    attended_guardian_ids: [...new Set(attended)].sort(),
    minutes: minutes.trim() || null,
    questions: questions
      .filter((q) => q.question.trim())
      .map((q) => ({ question: q.question.trim(), answer: q.answer.trim() || null })),
  }
}

// Tickets (家长诉求) --------------------------------------------------------------------------

/** scheduling TicketPublic */
export interface Ticket {
  ticket_id: string
  channel: 'meeting' | 'mailbox'
  meeting_id: string | null
  question: string
  raised_by_guardian_id: string | null
  owner_id: string | null
  raised_on?: string | null
  due_on: string
  reply: string | null
  replied_on: string | null
  overdue: boolean
  escalated_to: string | null
  version: number
}

export type TicketState = 'overdue' | 'open' | 'replied'

export function ticketState(ticket: Pick<Ticket, 'reply' | 'overdue'>): TicketState {
  if (ticket.reply) return 'replied'
  return ticket.overdue ? 'overdue' : 'open'
}

const STATE_ORDER: Record<TicketState, number> = { overdue: 0, open: 1, replied: 2 }

/** Those a school admin acts on first: overdue (escalated to them), then open by due date, then
 * the replied ones, the latest reply first. */
export function ticketsInOrder(tickets: readonly Ticket[]): Ticket[] {
  return [...tickets].sort((a, b) => {
    const order = STATE_ORDER[ticketState(a)] - STATE_ORDER[ticketState(b)]
    if (order) return order
    if (ticketState(a) === 'replied') return (b.replied_on ?? '').localeCompare(a.replied_on ?? '') || a.ticket_id.localeCompare(b.ticket_id)
    return a.due_on.localeCompare(b.due_on) || a.ticket_id.localeCompare(b.ticket_id)
  })
}

export function ticketCounts(tickets: readonly Ticket[]): Record<TicketState, number> {
  const counts: Record<TicketState, number> = { overdue: 0, open: 0, replied: 0 }
  for (const ticket of tickets) counts[ticketState(ticket)] += 1
  return counts
}

export const REPLY_MAX = 2000

