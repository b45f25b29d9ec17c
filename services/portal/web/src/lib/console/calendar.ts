// The console's words for the school calendar: the school year a day is in, a month as people
// write it (2026年10月), and an instant's date and time on the school's clock. No I/O.

import type { Locale } from '../http'
import { parts } from '../meetingForm'

/** The school year (学年, 1 September to 31 August) a school date is in: 2026-11-20 → "2026-2027". */
export function schoolYearOf(day: string): string {
  const [year = 1970, month = 1] = day.split('-').map(Number)
  const first = month >= 9 ? year : year - 1
  return `${first}-${first + 1}`
}

/** "2026-2027-autumn" → "2026-2027", the school year of a term. */
export function termSchoolYear(term: string): string {
  return term.split('-').slice(0, 2).join('-')
}

/** A month ("2026-10") as people write it: 2026年10月 (English: 2026-10); the value itself stays "2026-10". */
export function monthLabel(month: string, locale: Locale = 'zh-CN'): string {
  const match = /^(\d{4})-(\d{2})$/.exec(month)
  if (!match || locale === 'en') return month
  return `${match[1]}年${Number(match[2])}月`
}

/** The date and time an instant names in Beijing (what a reschedule form starts from). */
export function beijingParts(iso: string): { date: string; time: string } {
  const at = new Date(iso)
  if (Number.isNaN(at.getTime())) return { date: '', time: '' }
  const { date, time } = parts(at)
  return { date: date.join('-'), time: time.join(':') }
}
