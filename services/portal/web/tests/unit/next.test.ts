import { describe, expect, it } from 'vitest'
import { homeOf } from '../../src/lib/next'

describe('homeOf', () => {
  it('sends a teacher to their classes, a guardian to the inbox, other staff to the staff page', () => {
    expect(homeOf('teacher')).toBe('/teacher')
    expect(homeOf('guardian')).toBe('/inbox')
    expect(homeOf('school_admin')).toBe('/staff')
    expect(homeOf('partner')).toBe('/staff')
  })

  it('sends nobody signed in to the guardian sign-in page', () => {
    expect(homeOf(undefined)).toBe('/sign-in')
  })
})
