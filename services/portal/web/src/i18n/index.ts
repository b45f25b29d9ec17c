import { computed, ref } from 'vue'
import type { Locale } from '../lib/http'
import { en, zhCN, type MessageKey } from './messages'

const STORAGE_KEY = 'portal_language'
const tables: Record<Locale, Record<MessageKey, string>> = { 'zh-CN': zhCN, en }

function stored(): Locale | null {
  try {
    const value = localStorage.getItem(STORAGE_KEY)
    return value === 'en' || value === 'zh-CN' ? value : null
  } catch {
    return null
  }
}

const locale = ref<Locale>(stored() ?? 'zh-CN')

function apply(value: Locale): void {
  locale.value = value
  if (typeof document !== 'undefined') document.documentElement.lang = value
}

apply(locale.value)

export function translate(lang: Locale, key: MessageKey, params: Record<string, string | number> = {}): string {
  const text = tables[lang][key] ?? zhCN[key] ?? key
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole))
}

/** Show the pages in this language from now on. The signed-in user's language (their saved
 * preference, else the registry's: lib/preferences pageLanguage) decides it; this phone only
 * remembers the last one for the pages before sign-in. */
export function adoptLanguage(value: Locale): void {
  try {
    localStorage.setItem(STORAGE_KEY, value)
  } catch {
    // private mode: remembered for this visit only
  }
  apply(value)
}

export function currentLocale(): Locale {
  return locale.value
}

export function useI18n() {
  return {
    locale: computed(() => locale.value),
    t: (key: MessageKey, params?: Record<string, string | number>) => translate(locale.value, key, params),
  }
}

export type { MessageKey }
