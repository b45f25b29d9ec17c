import { computed, ref } from 'vue'
import { adoptUserLanguage } from '../i18n'
import { ApiError } from '../lib/http'
import type { SessionUser } from '../lib/types'
import { useApi } from './useApi'

const user = ref<SessionUser | null>(null)
let loading: Promise<SessionUser | null> | null = null

function adopt(next: SessionUser | null): void {
  user.value = next
  if (next) adoptUserLanguage(next.language)
}

async function load(force = false): Promise<SessionUser | null> {
  if (loading && !force) return loading
  const { request } = useApi()
  loading = request<{ user: SessionUser }>('GET', '/auth/me', { quiet401: true })
    .then((answer) => {
      adopt(answer.user)
      return answer.user
    })
    .catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 401) {
        adopt(null)
        return null
      }
      loading = null // a network failure: ask again at the next page
      throw error
    })
  return loading
}

async function signOut(): Promise<void> {
  const { post } = useApi()
  try {
    await post('/auth/sign-out')
  } finally {
    adopt(null)
    loading = Promise.resolve(null)
  }
}

/** After a sign-in answered `{user}`: the session is that user from now on. */
function signedIn(next: SessionUser): void {
  adopt(next)
  loading = Promise.resolve(next)
}

export function useSession() {
  return {
    user: computed(() => user.value),
    isGuardian: computed(() => user.value?.role === 'guardian'),
    link: computed(() => user.value?.link ?? null),
    load,
    signOut,
    signedIn,
  }
}

