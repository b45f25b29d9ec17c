import { describe, expect, it } from 'vitest'
import { linkRefusal, tokenFromHash } from '../../src/lib/link'

const JWS = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJnZG4tMSJ9.c2lnbmF0dXJlX2hlcmU'

describe('the token in the fragment', () => {
  it('reads a signed link and an activation secret after #', () => {
    expect(tokenFromHash(`#${JWS}`)).toBe(JWS)
    expect(tokenFromHash('#Zm9v-YmFy_Yg')).toBe('Zm9v-YmFy_Yg')
  })
  it('accepts the hash without its # and with percent-encoding or stray spaces', () => {
    expect(tokenFromHash(JWS)).toBe(JWS)
    expect(tokenFromHash('#abc%2Ddef')).toBe('abc-def')
    expect(tokenFromHash('# abc ')).toBe('abc')
  })
  it('gives null for no token or anything a token cannot be', () => {
    expect(tokenFromHash('')).toBeNull()
    expect(tokenFromHash('#')).toBeNull()
    expect(tokenFromHash('#a b')).toBeNull()
    expect(tokenFromHash('#<script>')).toBeNull()
    expect(tokenFromHash('#%E0%A4%A')).toBeNull()
    expect(tokenFromHash(`#${'a'.repeat(4001)}`)).toBeNull()
  })
})

describe("the portal's refusal of a link", () => {
  it('names the reason from the problem type', () => {
    expect(linkRefusal('https://district.example/problems/link-expired')).toBe('expired')
    expect(linkRefusal('https://district.example/problems/link-invalid')).toBe('invalid')
    expect(linkRefusal('https://district.example/problems/link-used')).toBe('used')
    expect(linkRefusal('https://district.example/problems/link-other-guardian')).toBe('other-guardian')
  })
  it('is null for any other problem, which the page offers to retry', () => {
    expect(linkRefusal(undefined)).toBeNull()
    expect(linkRefusal('https://district.example/problems/csrf')).toBeNull()
    expect(linkRefusal('https://district.example/problems/link-unknown')).toBeNull()
  })
})
