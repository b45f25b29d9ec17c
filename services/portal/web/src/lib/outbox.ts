// The outbox on this phone: visits (and outcomes of planned visits) entered with or without a
// network, kept in IndexedDB until the server has answered them. The rules of a sync are in
// ./sync.ts; this file is the browser's side: the database, the sender and the lock.

import { CSRF_COOKIE, CSRF_HEADER, readCookie } from './http'
import { offlineDb } from './offlineDb'
import { BUSY, localLock, looksLikeCsrfRefusal, type Answer, type Lock, type OutboxItem, type OutboxStore } from './sync'

export const outboxStore: OutboxStore = {
  async list() {
    return (await offlineDb()).getAll('outbox')
  },
  async get(id) {
    return (await offlineDb()).get('outbox', id)
  },
  async put(item) {
    await (await offlineDb()).put('outbox', item)
  },
  async remove(id) {
    await (await offlineDb()).delete('outbox', id)
  },
}

async function readAnswer(response: Response): Promise<unknown> {
  const text = await response.text()
  if (!text) return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

/** How long one request of a sync may take: a village's single bar can take a POST and never answer;
 * after this it counts as no answer (tried again later), and the sync is free for the next one. */
export const SEND_TIMEOUT_MS = 20_000

export interface SenderDeps {
  fetch: typeof fetch
  cookies: () => string
  timeoutMs?: number
}

/** The sender of a sync, over the given fetch: each request (the CSRF read included) gives up after
 * `timeoutMs` (it rejects, like no network). */
export function createSender(deps: SenderDeps): (item: OutboxItem) => Promise<Answer> {
  const limit = () => AbortSignal.timeout(deps.timeoutMs ?? SEND_TIMEOUT_MS)

  async function csrfToken(fresh: boolean): Promise<string | null> {
    let token = fresh ? null : readCookie(deps.cookies(), CSRF_COOKIE)
    if (!token) {
      await deps.fetch('/auth/csrf', { method: 'GET', credentials: 'same-origin', signal: limit() })
      token = readCookie(deps.cookies(), CSRF_COOKIE)
    }
    return token
  }

  async function post(item: OutboxItem, freshCsrf: boolean): Promise<Answer> {
    const headers: Record<string, string> = {
      Accept: 'application/json, application/problem+json',
      'Content-Type': 'application/json',
      'Idempotency-Key': item.id,
    }
    const token = await csrfToken(freshCsrf)
    if (token) headers[CSRF_HEADER] = token
    const response = await deps.fetch(item.path, {
      method: item.method,
      headers,
      body: JSON.stringify(item.body),
      credentials: 'same-origin',
      signal: limit(), // covers the answer's body too
    })
    return { status: response.status, body: await readAnswer(response) }
  }

  /** Sends one waiting request with its Idempotency-Key; rejects when no answer came in time (no
   * network). A stale CSRF token (the portal binds a new one at each sign-in) is fetched again once. */
  return async function send(item: OutboxItem): Promise<Answer> {
    const answer = await post(item, false)
    return looksLikeCsrfRefusal(answer) ? post(item, true) : answer
  }
}

/** The browser's sender. */
export const sendItem = (item: OutboxItem): Promise<Answer> =>
  createSender({ fetch: (input, init) => fetch(input, init), cookies: () => document.cookie })(item)

/** One sync across all the tabs of this phone: the Web Locks API where there is one. */
export function browserLock(): Lock {
  const fallback = localLock()
  if (typeof navigator === 'undefined' || !('locks' in navigator) || !navigator.locks) return fallback
  return async <T>(task: () => Promise<T>) =>
    navigator.locks.request('district-portal-outbox-sync', { ifAvailable: true }, async (lock) =>
      lock ? await task() : BUSY,
    ) as Promise<T | typeof BUSY>
}
