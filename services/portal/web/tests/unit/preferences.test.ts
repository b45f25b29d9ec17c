import { describe, expect, it } from 'vitest'
import { channelOrder, languageChoice, move, pageLanguage, toPreferences } from '../../src/lib/preferences'
import { upcoming } from '../../src/lib/upcoming'
import { safeNext } from '../../src/lib/next'

describe('channel order', () => {
  it('completes a partial order with the channels it leaves out, each once', () => {
    expect(channelOrder(['email', 'email', 'sms'])).toEqual(['email', 'sms', 'wechat', 'app'])
    expect(channelOrder(null)).toEqual(['sms', 'wechat', 'email', 'app'])
  })
  it('moves a channel up or down, not past the ends', () => {
    expect(move(['sms', 'wechat', 'email', 'app'], 1, -1)).toEqual(['wechat', 'sms', 'email', 'app'])
    expect(move(['sms', 'wechat'], 0, -1)).toEqual(['sms', 'wechat'])
    expect(move(['sms', 'wechat'], 1, 1)).toEqual(['sms', 'wechat'])
  })
  it('becomes the Preferences body notifications takes', () => {
    expect(
      toPreferences({ channelOrder: ['wechat', 'sms', 'email', 'app'], quietHours: true, quietStart: '22:00', quietEnd: '07:00', digest: true, digestAt: '18:00', language: 'en' }),
    ).toEqual({ channel_order: ['wechat', 'sms', 'email', 'app'], quiet_hours: true, quiet_start: '22:00', quiet_end: '07:00', delivery: 'digest', digest_at: '18:00', language: 'en' })
  })
})

describe('language', () => {
  it("is saved as the language chosen, or null for the school's", () => {
    const form = { channelOrder: channelOrder(null), quietHours: true, quietStart: '21:30', quietEnd: '07:00', digest: false, digestAt: '18:00' }
    expect(toPreferences({ ...form, language: 'school' }).language).toBeNull()
    expect(toPreferences({ ...form, language: 'zh-CN' }).language).toBe('zh-CN')
    expect(languageChoice(null)).toBe('school')
    expect(languageChoice(undefined)).toBe('school')
    expect(languageChoice('en')).toBe('en')
  })
  it("of the pages is the guardian's saved choice, else the registry's, else zh-CN", () => {
    expect(pageLanguage('en', 'zh-CN')).toBe('en')
    expect(pageLanguage('zh-CN', 'en')).toBe('zh-CN')
    expect(pageLanguage(null, 'en')).toBe('en')
    expect(pageLanguage(undefined, null)).toBe('zh-CN')
    expect(pageLanguage('fr', 'de')).toBe('zh-CN')
  })
})

describe('upcoming', () => {
  const now = new Date('2026-11-20T04:00:00Z') // 12:00 in Beijing
  it('keeps what is ahead, soonest first, and visits from today on (Beijing date)', () => {
    const items = upcoming(
      [
        { id: 'm-late', kind: 'meeting', title: 'b', status: 'planned', starts_at: '2026-11-27T11:00:00Z', ends_at: '2026-11-27T12:00:00Z' },
        { id: 'm-past', kind: 'meeting', title: 'a', status: 'held', starts_at: '2026-11-19T11:00:00Z', ends_at: '2026-11-19T12:00:00Z' },
        { id: 'v-today', kind: 'home_visit', title: 'c', status: 'planned', on: '2026-11-20' },
        { id: 'v-past', kind: 'home_visit', title: 'd', status: 'planned', on: '2026-11-19' },
      ],
      now,
    )
    expect(items.map((i) => i.id)).toEqual(['v-today', 'm-late'])
  })
})

describe('where to go after signing in', () => {
  it('only a path inside this app', () => {
    expect(safeNext('/messages/abc', '/inbox')).toBe('/messages/abc')
    expect(safeNext('//evil.example/x', '/inbox')).toBe('/inbox')
    expect(safeNext('https://evil.example', '/inbox')).toBe('/inbox')
    expect(safeNext(undefined, '/inbox')).toBe('/inbox')
  })
})
