// One-tap and activation links carry their token in the URL's fragment (`/l#<token>`,
// `/activate#<token>`): a fragment never reaches the server, a link scanner's request or a log.

export type LinkReason = 'expired' | 'invalid' | 'used' | 'other-guardian'

const REASONS: readonly LinkReason[] = ['expired', 'invalid', 'used', 'other-guardian']
// A JWS (base64url parts joined by dots) or a url-safe random secret.
const TOKEN = /^[A-Za-z0-9_\-.~]+$/

/** The token in `location.hash` (`#<token>`), or null when there is none or it cannot be one. */
export function tokenFromHash(hash: string): string | null {
  let value = hash.startsWith('#') ? hash.slice(1) : hash
  try {
    value = decodeURIComponent(value)
  } catch {
    return null
  }
  value = value.trim()
  if (!value || value.length > 4000 || !TOKEN.test(value)) return null
  return value
}

/** Why the portal refused a link, from its problem `type` (`…/link-<reason>`); null for any other
 * failure (the network, a server error), which the page offers to try again. */
export function linkRefusal(problemType: string | undefined): LinkReason | null {
  if (!problemType) return null
  const kind = problemType.slice(problemType.lastIndexOf('/') + 1)
  if (!kind.startsWith('link-')) return null
  const reason = kind.slice('link-'.length)
  return (REASONS as readonly string[]).includes(reason) ? (reason as LinkReason) : null
}
