/** Where to go after signing in: only a path inside this app (never another site). */
export function safeNext(next: unknown, fallback: string): string {
  const value = Array.isArray(next) ? next[0] : next
  if (typeof value !== 'string') return fallback
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return fallback
  return value
}
