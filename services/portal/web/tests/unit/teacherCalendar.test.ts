import { describe, expect, it } from 'vitest'
import { byDay, relevant, visitStudent, webcal } from '../../src/lib/teacherCalendar'
import type { CalendarItem } from '../../src/lib/types'

const NOW = new Date('2026-12-01T02:00:00Z')
const meeting = (id: string, starts: string, status = 'planned'): CalendarItem => ({
  kind: 'meeting', id, title: `会议 ${id}`, status, starts_at: starts, ends_at: new Date(new Date(starts).getTime() + 3600_000).toISOString(),
})
const visit = (id: string, on: string, student = 'stu-1', status = 'planned'): CalendarItem => ({ kind: 'home_visit', id, title: `家访 ${student}`, status, on })

describe("a teacher's calendar", () => {
  it('groups by the school day, visits before the day\'s meetings', () => {
    const days = byDay([meeting('m1', '2026-12-02T01:00:00Z'), visit('v1', '2026-12-02'), visit('v0', '2026-11-23'), meeting('m2', '2026-12-01T17:00:00Z')])
    expect(days.map((d) => d.day)).toEqual(['2026-11-23', '2026-12-02'])
    expect(days[1]?.items.map((i) => i.id)).toEqual(['v1', 'm2', 'm1']) // 17:00Z on 1 Dec is 01:00 on 2 Dec in Beijing
  })
  it('keeps every planned visit, and meetings not over for more than a week', () => {
    const kept = relevant(
      [visit('v-old', '2026-11-02'), visit('v-done', '2026-11-03', 'stu-1', 'done'), meeting('m-old', '2026-11-20T01:00:00Z'), meeting('m-recent', '2026-11-28T01:00:00Z')],
      NOW,
    )
    expect(kept.map((i) => i.id)).toEqual(['v-old', 'm-recent'])
  })
  it("reads the student of a visit from scheduling's title", () => {
    expect(visitStudent(visit('v', '2026-12-02', 'stu-42'))).toBe('stu-42')
    expect(visitStudent(meeting('m', '2026-12-02T01:00:00Z'))).toBeNull()
  })
  it('offers the feed as a webcal:// address', () => {
    expect(webcal('https://portal.example/calendar/abc.ics')).toBe('webcal://portal.example/calendar/abc.ics')
    expect(webcal('http://127.0.0.1:8000/calendar/abc.ics')).toBe('webcal://127.0.0.1:8000/calendar/abc.ics')
  })
})
