import { describe, expect, it } from 'vitest'
import { draftProblem, instant, meetingBody, parts, type MeetingDraft } from '../../src/lib/meetingForm'

const NOW = new Date('2026-12-01T06:00:00Z') // 14:00 in Beijing

function draft(overrides: Partial<MeetingDraft> = {}): MeetingDraft {
  return { title: '期中家长会', agenda: ['成绩分析', ' '], date: ['2026', '12', '01'], startTime: ['15', '00'], endTime: ['16', '00'], place: ' 三年级2班教室 ', ...overrides }
}

describe('the parent meeting form', () => {
  it("names instants on Beijing's clock, whatever the phone's zone", () => {
    expect(instant(['2026', '12', '01'], ['07', '05'])).toBe('2026-12-01T07:05:00+08:00')
    expect(new Date(instant(['2026', '12', '01'], ['07', '05']) ?? '').toISOString()).toBe('2026-11-30T23:05:00.000Z')
    expect(instant([], ['07', '05'])).toBeNull()
  })
  it('starts the pickers from a moment on the school clock', () => {
    expect(parts(new Date('2026-12-01T16:30:00Z'))).toEqual({ date: ['2026', '12', '02'], time: ['00', '30'] })
  })
  it('says what is wrong before sending', () => {
    expect(draftProblem(draft(), NOW)).toBeNull()
    expect(draftProblem(draft({ title: '会' }), NOW)).toBe('title')
    expect(draftProblem(draft({ startTime: ['13', '59'] }), NOW)).toBe('startsAt')
    expect(draftProblem(draft({ endTime: ['15', '00'] }), NOW)).toBe('endsAt')
  })
  it('sends a class parent meeting for the one class, empty agenda items left out', () => {
    expect(meetingBody(draft(), 'cls-3-2')).toEqual({
      kind: 'parent_meeting',
      level: 'class',
      class_ids: ['cls-3-2'],
      title: '期中家长会',
      agenda: ['成绩分析'],
      starts_at: '2026-12-01T15:00:00+08:00',
      ends_at: '2026-12-01T16:00:00+08:00',
      place: '三年级2班教室',
    })
  })
})
