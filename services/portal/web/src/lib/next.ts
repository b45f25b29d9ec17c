/** Where to go after signing in: only a path inside this app (never another site). */
export function safeNext(next: unknown, fallback: string): string {
  const value = Array.isArray(next) ? next[0] : next
  if (typeof value !== 'string') return fallback
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return fallback
  return value
}

/** Each person's home page: a guardian's inbox, a teacher's classes (phone pages); the school
 * admin's, the partner's and the bureau's consoles (desk pages); sign-in when nobody is signed in. */
const HOMES: Record<string, string> = {
  guardian: '/inbox',
  teacher: '/teacher',
  school_admin: '/console',
  partner: '/partner',
  bureau: '/bureau',
}

export function homeOf(role: string | undefined): string {
  if (!role) return '/sign-in'
  return HOMES[role] ?? '/staff'
}
