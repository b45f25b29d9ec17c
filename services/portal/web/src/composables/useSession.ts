import { computed, ref } from 'vue'
import { adoptLanguage } from '../i18n'
import { ApiError } from '../lib/http'
import { clearOfflineCache } from '../lib/offlineCache'
import { pageLanguage } from '../lib/preferences'
import type { Preferences, SessionUser } from '../lib/types'
import { useApi } from './useApi'

const user = ref<SessionUser | null>(null)
const offline = ref(false)
let loading: Promise<SessionUser | null> | null = null

// A teacher's phone opens its pages without a network (a visit logged in a village): the last
// teacher signed in on it is remembered, and stands in when /auth/me cannot be reached. A 401 or a
// sign-out forgets them; guardians are never remembered.
const LAST_TEACHER = 'portal_last_teacher'

function remember(next: SessionUser | null): void {
  try {
    if (next && next.role === 'teacher' && !next.link) localStorage.setItem(LAST_TEACHER, JSON.stringify(next))
    else localStorage.removeItem(LAST_TEACHER)
  } catch {
    // private mode: online only
  }
}

function remembered(): SessionUser | null {
  try {
    const raw = localStorage.getItem(LAST_TEACHER)
    const found = raw ? (JSON.parse(raw) as SessionUser) : null
    return found && found.role === 'teacher' && typeof found.subject === 'string' ? found : null
  } catch {
    return null
  }
}

function adopt(next: SessionUser | null): void {
  user.value = next
  if (next) adoptLanguage(pageLanguage(null, next.language))
}

/** A guardian's pages follow the language saved in their preferences (notifications), when they
 * chose one; a link session may read them too (the portal lets it), so a one-tap link opens in it. */
async function followSavedLanguage(next: SessionUser): Promise<void> {
  if (next.role !== 'guardian') return
  const { request } = useApi()
  try {
    const saved = await request<Preferences>('GET', '/api/notifications/v1/preferences', { quiet401: true })
    if (user.value?.subject === next.subject) adoptLanguage(pageLanguage(saved.language, next.language))
  } catch {
    // notifications unreachable: the registry's language until the next page load
  }
}

async function load(force = false): Promise<SessionUser | null> {
  if (loading && !force) return loading
  const { request } = useApi()
  loading = request<{ user: SessionUser }>('GET', '/auth/me', { quiet401: true })
    .then(async (answer) => {
      offline.value = false
      remember(answer.user)
      adopt(answer.user)
      await followSavedLanguage(answer.user)
      return answer.user
    })
    .catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 401) {
        remember(null)
        offline.value = false
        adopt(null)
        return null
      }
      loading = null // a network failure: ask again at the next page
      const teacher = error instanceof ApiError && error.status === 0 ? remembered() : null
      if (teacher) {
        offline.value = true
        adopt(teacher)
        return teacher
      }
      throw error
    })
  return loading
}

async function signOut(): Promise<void> {
  const { post } = useApi()
  try {
    await post('/auth/sign-out')
  } finally {
    remember(null)
    offline.value = false
    adopt(null)
    loading = Promise.resolve(null)
    await clearOfflineCache()
  }
}

/** After a sign-in answered `{user}`: the session is that user from now on; resolves once the
 * pages speak the language the user saved (never rejects). */
function signedIn(next: SessionUser): Promise<void> {
  remember(next)
  offline.value = false
  adopt(next)
  loading = Promise.resolve(next)
  return followSavedLanguage(next)
}

export function useSession() {
  return {
    user: computed(() => user.value),
    isGuardian: computed(() => user.value?.role === 'guardian'),
    link: computed(() => user.value?.link ?? null),
    /** The teacher remembered on this phone stands in: the portal could not be reached. */
    offline: computed(() => offline.value),
    load,
    signOut,
    signedIn,
  }
}

