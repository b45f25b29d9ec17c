// The same rule as the registry's MOBILE_PATTERN: a mainland mobile number, 11 digits from 13–19.
const MOBILE = /^1[3-9]\d{9}$/
const CODE = /^\d{6}$/

export const PASSWORD_MIN_LENGTH = 10

/** Digits only: people paste "138 0013 8000" or "+86 138-0013-8000". */
export function normalisePhone(input: string): string {
  const digits = input.replace(/[\s-]/g, '').replace(/^\+?86(?=1\d{10}$)/, '')
  return digits
}

export function isMobile(input: string): boolean {
  return MOBILE.test(normalisePhone(input))
}

export function isSmsCode(input: string): boolean {
  return CODE.test(input.trim())
}

export type PasswordProblem = 'too-short' | 'mismatch' | null

export function passwordProblem(password: string, repeated: string): PasswordProblem {
  if (password.length < PASSWORD_MIN_LENGTH) return 'too-short'
  if (password !== repeated) return 'mismatch'
  return null
}
