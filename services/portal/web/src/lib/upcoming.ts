import type { CalendarItem } from './types'

// A guardian's calendar (scheduling GET /v1/calendars/me): the meetings ahead that invite them, the
// cancelled ones kept with status "cancelled", and the planned visits to their children, whose title
// is "家访 <student_id>".

function when(item: CalendarItem): number {
  const at = item.starts_at ?? (item.on ? `${item.on}T00:00:00+08:00` : '')
  const time = at ? new Date(at).getTime() : Number.NaN
  return Number.isNaN(time) ? Number.POSITIVE_INFINITY : time
}

function soonestFirst(items: CalendarItem[]): CalendarItem[] {
  return [...items].sort((a, b) => when(a) - when(b))
}

/** What is still ahead, soonest first: meetings not yet ended and visits from today on (the page may
 * have been open a while; the service lists only what is ahead). Cancelled meetings stay, marked. */
export function upcoming(items: CalendarItem[], now: Date): CalendarItem[] {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(now)
  return soonestFirst(
    items.filter((item) => {
      if (item.kind === 'home_visit') return item.on ? item.on >= today : Boolean(item.starts_at)
      const end = item.ends_at ?? item.starts_at
      return end ? new Date(end).getTime() >= now.getTime() : false
    }),
  )
}

export function isCancelled(item: CalendarItem): boolean {
  return item.status === 'cancelled'
}

/** The reception days (校长接待日) a question may be raised for, soonest first: not cancelled, and
 * also those already begun or just over (the service takes them until 14 days after). */
export function receptionDays(items: CalendarItem[]): CalendarItem[] {
  return soonestFirst(
    items.filter((item) => item.kind === 'meeting' && item.meeting_kind === 'reception_day' && !isCancelled(item)),
  )
}

/** The child a visit is to, from its title "家访 <student_id>"; else the only child, if there is one. */
export function visitStudentId(item: CalendarItem, studentIds: readonly string[]): string | null {
  if (item.kind !== 'home_visit') return null
  const named = /^\S+\s+(\S+)\s*$/.exec(item.title.trim())?.[1]
  if (named && (studentIds.length === 0 || studentIds.includes(named))) return named
  return studentIds.length === 1 ? (studentIds[0] ?? null) : null
}

/** What a row says: a meeting's title; a visit's word ("家访") with the child's name when it is known. */
export function itemTitle(
  item: CalendarItem,
  visitWord: string,
  names: Readonly<Record<string, string>>,
  studentIds: readonly string[],
): string {
  if (item.kind !== 'home_visit') return item.title
  const id = visitStudentId(item, studentIds)
  const name = id ? names[id] : undefined
  return name ? `${visitWord} · ${name}` : visitWord
}
