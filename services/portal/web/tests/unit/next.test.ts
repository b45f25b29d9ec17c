import { describe, expect, it } from 'vitest'
import { homeOf } from '../../src/lib/next'

describe('homeOf', () => {
  it('sends a teacher to their classes, a guardian to the inbox, the desks to their consoles', () => {
    expect(homeOf('teacher')).toBe('/teacher')
    expect(homeOf('guardian')).toBe('/inbox')
    expect(homeOf('school_admin')).toBe('/console')
    expect(homeOf('partner')).toBe('/partner')
    expect(homeOf('bureau')).toBe('/bureau')
  })

  it('sends a role it does not know to the plain staff page', () => {
    expect(homeOf('auditor')).toBe('/staff')
  })

  it('sends nobody signed in to the guardian sign-in page', () => {
    expect(homeOf(undefined)).toBe('/sign-in')
  })
})
