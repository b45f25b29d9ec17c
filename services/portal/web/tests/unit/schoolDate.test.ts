import { describe, expect, it } from 'vitest'
import { addDays, deviceToday, schoolTodayFrom } from '../../src/lib/schoolDate'

describe('today on the school clock', () => {
  it('is the date the portal said, moved on by the days the phone lived since', () => {
    const known = { school: '2026-11-20', device: '2026-12-01' }
    expect(schoolTodayFrom(known, '2026-12-01')).toBe('2026-11-20')
    expect(schoolTodayFrom(known, '2026-12-03')).toBe('2026-11-22') // two days offline
  })

  it('never goes back when the phone\'s clock does', () => {
    expect(schoolTodayFrom({ school: '2026-11-20', device: '2026-12-01' }, '2026-11-01')).toBe('2026-11-20')
  })

  it('is the phone\'s own date where the schools are when the portal never said', () => {
    expect(schoolTodayFrom(null, '2026-12-01')).toBe('2026-12-01')
    // 23:30 UTC is already the next day in Beijing
    expect(deviceToday(new Date('2026-11-30T23:30:00Z'))).toBe('2026-12-01')
  })

  it('counts days across months and years', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01')
    expect(addDays('2027-03-01', -1)).toBe('2027-02-28')
  })
})
