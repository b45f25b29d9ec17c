import { describe, expect, it } from 'vitest'
import { itemTitle, receptionDays, upcoming, visitStudentId } from '../../src/lib/upcoming'
import type { CalendarItem } from '../../src/lib/types'

const NOW = new Date('2026-11-20T02:00:00Z') // 10:00 in Beijing

function meeting(id: string, starts: string, overrides: Partial<CalendarItem> = {}): CalendarItem {
  const ends = new Date(new Date(starts).getTime() + 3600_000).toISOString()
  return { kind: 'meeting', id, title: `会议 ${id}`, status: 'planned', starts_at: starts, ends_at: ends, on: null, place: '', meeting_kind: 'parent_meeting', mode: null, my_rsvp: null, ...overrides }
}

function visit(id: string, on: string, title = '家访 stu-1'): CalendarItem {
  return { kind: 'home_visit', id, title, status: 'planned', starts_at: null, ends_at: null, on, place: '', meeting_kind: null, mode: 'in_person', my_rsvp: null }
}

describe('the upcoming list', () => {
  it('keeps what is ahead, soonest first, visits by their day', () => {
    const items = [
      meeting('later', '2026-11-25T06:00:00Z'),
      visit('v-today', '2026-11-20'),
      meeting('over', '2026-11-19T06:00:00Z'),
      visit('v-past', '2026-11-19'),
      meeting('now', '2026-11-20T01:30:00Z'),
    ]
    expect(upcoming(items, NOW).map((i) => i.id)).toEqual(['v-today', 'now', 'later'])
  })
  it('keeps cancelled meetings (the page marks them)', () => {
    const items = [meeting('c', '2026-11-22T06:00:00Z', { status: 'cancelled' })]
    expect(upcoming(items, NOW).map((i) => i.status)).toEqual(['cancelled'])
  })
})

describe('reception days for a question', () => {
  it('only reception days, not cancelled, including one already begun', () => {
    const items = [
      meeting('r2', '2026-11-27T01:00:00Z', { meeting_kind: 'reception_day' }),
      meeting('r1', '2026-11-20T01:00:00Z', { meeting_kind: 'reception_day' }),
      meeting('rc', '2026-11-24T01:00:00Z', { meeting_kind: 'reception_day', status: 'cancelled' }),
      meeting('pm', '2026-11-23T01:00:00Z', { title: '校长接待日？不，家长会' }),
      visit('v', '2026-11-21'),
    ]
    expect(receptionDays(items).map((i) => i.id)).toEqual(['r1', 'r2'])
  })
})

describe("a visit's row", () => {
  const names = { 'stu-1': '小明', 'stu-2': '小红' }
  it("names the child from the title's student id", () => {
    expect(visitStudentId(visit('v', '2026-11-21', '家访 stu-2'), ['stu-1', 'stu-2'])).toBe('stu-2')
    expect(itemTitle(visit('v', '2026-11-21', '家访 stu-2'), '家访', names, ['stu-1', 'stu-2'])).toBe('家访 · 小红')
  })
  it('says only 家访 when the name is not known', () => {
    expect(itemTitle(visit('v', '2026-11-21', '家访 stu-9'), '家访', names, ['stu-1', 'stu-2'])).toBe('家访')
    expect(itemTitle(visit('v', '2026-11-21', '家访 stu-1'), '家访', {}, ['stu-1'])).toBe('家访')
  })
  it('an odd title with one child: that child', () => {
    expect(itemTitle(visit('v', '2026-11-21', '家访'), 'Home visit', names, ['stu-1'])).toBe('Home visit · 小明')
  })
  it("a meeting keeps its own title", () => {
    expect(itemTitle(meeting('m', '2026-11-25T06:00:00Z'), '家访', names, ['stu-1'])).toBe('会议 m')
  })
})
