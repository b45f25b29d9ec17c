// A teacher's calendar (scheduling GET /v1/calendars/me: meetings they organise or of their classes,
// visits they will make), grouped by the school's day.

import type { CalendarItem } from './types'

export interface CalendarDay {
  day: string
  items: CalendarItem[]
}

function dayOf(item: CalendarItem): string {
  if (item.on) return item.on.slice(0, 10)
  if (!item.starts_at) return ''
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date(item.starts_at))
}

function sortKey(item: CalendarItem): string {
  // a visit has a day and no hour: it comes before the day's meetings
  return item.starts_at ? new Date(item.starts_at).toISOString() : ''
}

const WEEK = 7 * 24 * 3600_000

/** What the calendar shows: every planned visit (one whose day has passed still waits for its
 * outcome) and the meetings not over for more than a week (the school's date of a visit and the
 * real clock of a meeting are not the same clock in a demo, so visits are never dropped by date). */
export function relevant(items: readonly CalendarItem[], now: Date): CalendarItem[] {
  return items.filter((item) => {
    if (item.kind === 'home_visit') return item.status === 'planned'
    const end = item.ends_at ?? item.starts_at
    return end ? new Date(end).getTime() >= now.getTime() - WEEK : false
  })
}

/** Each day with its items (visits first, then meetings by start), earliest day first. */
export function byDay(items: readonly CalendarItem[]): CalendarDay[] {
  const days = new Map<string, CalendarItem[]>()
  for (const item of items) {
    const day = dayOf(item)
    if (!day) continue
    days.set(day, [...(days.get(day) ?? []), item])
  }
  return [...days.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, list]) => ({ day, items: list.sort((a, b) => sortKey(a).localeCompare(sortKey(b))) }))
}

/** The student a planned visit is to: scheduling titles it "家访 <student_id>". */
export function visitStudent(item: CalendarItem): string | null {
  if (item.kind !== 'home_visit') return null
  return /^\S+\s+(\S+)\s*$/.exec(item.title.trim())?.[1] ?? null
}

/** The calendar subscription's webcal:// address (calendar apps on phones open it to subscribe). */
export function webcal(url: string): string {
  return url.replace(/^https?:\/\//, 'webcal://')
}
