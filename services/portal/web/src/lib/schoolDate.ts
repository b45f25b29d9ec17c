// Today on the school clock. The portal names it in an `X-School-Date` header on each answer (the
// services' business dates come from the same clock, which tests and demos pin); the phone keeps
// the last one it heard with its own date then, and offline counts the days on from there. With
// none heard yet, the phone's own date where the schools are (Asia/Shanghai).

export const SCHOOL_DATE_HEADER = 'X-School-Date'
const KEY = 'portal_school_date'
const DAY = /^\d{4}-\d{2}-\d{2}$/

export interface KnownSchoolDate {
  /** The school's date the portal said. */
  school: string
  /** The phone's own date (Asia/Shanghai) when it said it. */
  device: string
}

/** The phone's date where the schools are. */
export function deviceToday(now: Date = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(now)
}

function dayNumber(day: string): number {
  const [y, m, d] = day.split('-').map(Number)
  return Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1) / 86_400_000
}

export function addDays(day: string, days: number): string {
  return new Date((dayNumber(day) + days) * 86_400_000).toISOString().slice(0, 10)
}

/** The school's date today: the one heard, moved on by the days the phone has lived since (never
 * back: a phone whose clock was set back does not make yesterday today). */
export function schoolTodayFrom(known: KnownSchoolDate | null, deviceDay: string): string {
  if (!known) return deviceDay
  return addDays(known.school, Math.max(0, dayNumber(deviceDay) - dayNumber(known.device)))
}

function readKnown(): KnownSchoolDate | null {
  try {
    const raw = localStorage.getItem(KEY)
    const known = raw ? (JSON.parse(raw) as KnownSchoolDate) : null
    return known && DAY.test(known.school) && DAY.test(known.device) ? known : null
  } catch {
    return null
  }
}

/** Called with each answer's header (useApi). */
export function noteSchoolDate(value: string | null, now: Date = new Date()): void {
  if (!value || !DAY.test(value)) return
  try {
    localStorage.setItem(KEY, JSON.stringify({ school: value, device: deviceToday(now) } satisfies KnownSchoolDate))
  } catch {
    // private mode: the device's date
  }
}

export function schoolToday(now: Date = new Date()): string {
  return schoolTodayFrom(readKnown(), deviceToday(now))
}
