// The class parent meeting form (安排家长会): the instants its date and time pickers name on the
// school's clock (Beijing, whatever the phone's zone), and what the form checks before sending.

export interface MeetingDraft {
  title: string
  agenda: string[]
  /** ["2026", "12", "01"] as Vant's DatePicker holds it */
  date: string[]
  /** ["14", "30"] as Vant's TimePicker holds it */
  startTime: string[]
  endTime: string[]
  place: string
}

export type DraftProblem = 'title' | 'date' | 'startsAt' | 'endsAt'

const two = (value: string | undefined): string => (value ?? '').padStart(2, '0')

/** The instant a date and a time name in Beijing, as ISO 8601 with its offset. */
export function instant(date: readonly string[], time: readonly string[]): string | null {
  const [year, month, day] = date
  const [hour, minute] = time
  if (!year || !month || !day || hour === undefined || minute === undefined) return null
  const text = `${year}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:00+08:00`
  return Number.isNaN(new Date(text).getTime()) ? null : text
}

/** The date and time parts of an instant on the school's clock: what the pickers start from. */
export function parts(at: Date): { date: string[]; time: string[] } {
  const fields = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at)
  const get = (type: string) => fields.find((f) => f.type === type)?.value ?? ''
  return { date: [get('year'), get('month'), get('day')], time: [get('hour'), get('minute')] }
}

/** The first problem a draft has, checked before sending (the server checks again). */
export function draftProblem(draft: MeetingDraft, now: Date): DraftProblem | null {
  const title = draft.title.trim()
  if (title.length < 2 || title.length > 80) return 'title'
  const starts = instant(draft.date, draft.startTime)
  const ends = instant(draft.date, draft.endTime)
  if (!starts) return 'date'
  if (new Date(starts).getTime() <= now.getTime()) return 'startsAt'
  if (!ends || new Date(ends).getTime() <= new Date(starts).getTime()) return 'endsAt'
  return null
}

/** scheduling MeetingCreate for one class's parent meeting. */
export function meetingBody(draft: MeetingDraft, classId: string) {
  return {
    kind: 'parent_meeting' as const,
    level: 'class' as const,
    class_ids: [classId],
    title: draft.title.trim(),
    agenda: draft.agenda.map((item) => item.trim()).filter(Boolean),
    starts_at: instant(draft.date, draft.startTime),
    ends_at: instant(draft.date, draft.endTime),
    place: draft.place.trim(),
  }
}
