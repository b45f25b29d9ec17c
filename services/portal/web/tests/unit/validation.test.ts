import { describe, expect, it } from 'vitest'
import { isMobile, isSmsCode, normalisePhone, passwordProblem } from '../../src/lib/validation'

describe('mobile numbers', () => {
  it('accepts 11 digits starting 13–19', () => {
    expect(isMobile('13800138000')).toBe(true)
    expect(isMobile('19912345678')).toBe(true)
  })
  it('accepts spaces, dashes and the +86 prefix people paste', () => {
    expect(isMobile('138 0013 8000')).toBe(true)
    expect(isMobile('+86 138-0013-8000')).toBe(true)
    expect(normalisePhone('+86 138-0013-8000')).toBe('13800138000')
  })
  it('refuses the wrong length, a landline start or letters', () => {
    expect(isMobile('1380013800')).toBe(false)
    expect(isMobile('138001380001')).toBe(false)
    expect(isMobile('12800138000')).toBe(false)
    expect(isMobile('0108888888')).toBe(false)
    expect(isMobile('1380013800a')).toBe(false)
    expect(isMobile('')).toBe(false)
  })
})

describe('SMS codes', () => {
  it('are exactly six digits', () => {
    expect(isSmsCode('123456')).toBe(true)
    expect(isSmsCode(' 123456 ')).toBe(true)
    expect(isSmsCode('12345')).toBe(false)
    expect(isSmsCode('1234567')).toBe(false)
    expect(isSmsCode('12345a')).toBe(false)
  })
})

describe('activation passwords', () => {
  it('need ten characters, typed twice the same', () => {
    expect(passwordProblem('short', 'short')).toBe('too-short')
    expect(passwordProblem('long-enough-1', 'long-enough-2')).toBe('mismatch')
    expect(passwordProblem('long-enough-1', 'long-enough-1')).toBeNull()
  })
})
