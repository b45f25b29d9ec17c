import type { CalendarItem } from './types'

function when(item: CalendarItem): string {
  return item.starts_at ?? (item.on ? `${item.on}T00:00:00+08:00` : '')
}

/** What is still ahead, soonest first: meetings not yet ended and visits from today on. */
export function upcoming(items: CalendarItem[], now: Date): CalendarItem[] {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(now)
  return items
    .filter((item) => {
      if (item.kind === 'home_visit') return item.on ? item.on >= today : Boolean(item.starts_at)
      const end = item.ends_at ?? item.starts_at
      return end ? new Date(end).getTime() >= now.getTime() : false
    })
    .sort((a, b) => new Date(when(a)).getTime() - new Date(when(b)).getTime())
}
