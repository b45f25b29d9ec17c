import type { Locale } from './http'

// Schools keep Beijing time whatever the phone's own setting.
const ZONE = 'Asia/Shanghai'

function intlLocale(locale: Locale): string {
  return locale === 'en' ? 'en-GB' : 'zh-CN'
}

export function formatDateTime(iso: string | null | undefined, locale: Locale): string {
  if (!iso) return ''
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  return new Intl.DateTimeFormat(intlLocale(locale), {
    timeZone: ZONE,
    month: 'long',
    day: 'numeric',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(date)
}

export function formatTime(iso: string | null | undefined, locale: Locale): string {
  if (!iso) return ''
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return ''
  return new Intl.DateTimeFormat(intlLocale(locale), {
    timeZone: ZONE,
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(date)
}

/** A calendar date ("2026-11-20") as the day it names, not shifted by the phone's zone. */
export function formatDate(day: string | null | undefined, locale: Locale): string {
  if (!day) return ''
  const date = new Date(`${day.slice(0, 10)}T12:00:00+08:00`)
  if (Number.isNaN(date.getTime())) return day
  return new Intl.DateTimeFormat(intlLocale(locale), {
    timeZone: ZONE,
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    weekday: 'short',
  }).format(date)
}

/** "21:30:00" or "21:30" → "21:30" (what <input type="time"> shows). */
export function hhmm(value: string | null | undefined, fallback: string): string {
  if (!value) return fallback
  const match = /^(\d{2}):(\d{2})/.exec(value)
  return match ? `${match[1]}:${match[2]}` : fallback
}
