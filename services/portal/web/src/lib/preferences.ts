import type { Locale } from './http'
import type { Channel, Preferences } from './types'

export const CHANNELS: Channel[] = ['sms', 'wechat', 'email', 'app']

// notifications' defaults when a field was never set (its Preferences schema).
export const DEFAULT_QUIET_START = '21:30'
export const DEFAULT_QUIET_END = '07:00'
export const DEFAULT_DIGEST_AT = '18:00'

/** The guardian's order, completed with any channel it leaves out, each once. */
export function channelOrder(saved: Channel[] | null | undefined): Channel[] {
  const order = (saved ?? []).filter((c, i, all) => CHANNELS.includes(c) && all.indexOf(c) === i)
  return [...order, ...CHANNELS.filter((c) => !order.includes(c))]
}

export function move(order: Channel[], index: number, by: -1 | 1): Channel[] {
  const to = index + by
  if (index < 0 || index >= order.length || to < 0 || to >= order.length) return order
  const next = [...order]
  const [item] = next.splice(index, 1)
  next.splice(to, 0, item as Channel)
  return next
}

/** The form's language choice: a language, or the school's (what the registry says). */
export type LanguageChoice = Locale | 'school'

export interface PreferenceForm {
  channelOrder: Channel[]
  quietHours: boolean
  quietStart: string
  quietEnd: string
  digest: boolean
  digestAt: string
  language: LanguageChoice
}

function asLocale(value: string | null | undefined): Locale | null {
  return value === 'en' || value === 'zh-CN' ? value : null
}

export function languageChoice(saved: string | null | undefined): LanguageChoice {
  return asLocale(saved) ?? 'school'
}

/** The language of the pages, as notifications decides the language of messages: the guardian's
 * saved choice, else the registry's (set by the school), else zh-CN. */
export function pageLanguage(chosen: string | null | undefined, registry: string | null | undefined): Locale {
  return asLocale(chosen) ?? asLocale(registry) ?? 'zh-CN'
}

export function toPreferences(form: PreferenceForm): Preferences {
  return {
    channel_order: form.channelOrder,
    quiet_hours: form.quietHours,
    quiet_start: form.quietStart,
    quiet_end: form.quietEnd,
    delivery: form.digest ? 'digest' : 'instant',
    digest_at: form.digestAt,
    language: form.language === 'school' ? null : form.language,
  }
}
