// Read-through copies of what the visit form reads (the teacher's classes, their students and
// teachers, the term and the planned visits): each answer read online is kept in IndexedDB, and
// served from there when the network (or the service behind the portal) cannot answer, so the form
// opens in a village without signal. Kept per teacher; cleared at sign-out.

import { ApiError } from './http'
import { offlineDb } from './offlineDb'

export interface CachedAnswer<T> {
  data: T
  /** Served from this phone's copy, read at `at`. */
  fromCache: boolean
  at: string
}

/** No answer came (status 0: no network) or the portal could not reach the service (5xx). */
export function unreachable(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 0 || error.status >= 500)
}

/** `fetcher(path)` online; this phone's last copy of the same path for the same teacher when it
 * cannot be reached. Other failures (403, 404) are the answer: they are thrown, and the copy
 * forgotten (the class is no longer the teacher's). */
export async function cachedGet<T>(path: string, owner: string | null, fetcher: (path: string) => Promise<T>): Promise<CachedAnswer<T>> {
  try {
    const data = await fetcher(path)
    const at = new Date().toISOString()
    if (owner) {
      try {
        await (await offlineDb()).put('cache', { path, owner, data, at })
      } catch {
        // no IndexedDB (private mode): online only
      }
    }
    return { data, fromCache: false, at }
  } catch (error) {
    if (owner && unreachable(error)) {
      const kept = await (await offlineDb()).get('cache', path).catch(() => undefined)
      if (kept && kept.owner === owner) return { data: kept.data as T, fromCache: true, at: kept.at }
    } else if (error instanceof ApiError && (error.status === 403 || error.status === 404)) {
      await (await offlineDb()).delete('cache', path).catch(() => undefined)
    }
    throw error
  }
}

/** At sign-out: nothing read for the teacher stays on the phone (the outbox stays: it is theirs to
 * send at the next sign-in). */
export async function clearOfflineCache(): Promise<void> {
  try {
    await (await offlineDb()).clear('cache')
  } catch {
    // no IndexedDB: nothing was kept
  }
}
