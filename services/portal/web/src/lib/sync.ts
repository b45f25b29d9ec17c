// The outbox's rules, free of the DOM and of IndexedDB so that they are unit-tested: what waits on
// the phone, what an answer of the server makes of it, and one sync that sends the waiting visits
// one at a time, each with the Idempotency-Key made when it was entered.
//
//   2xx                      → sent: gone from the phone
//   401                      → the session ended: stop, everything stays waiting, ask to sign in
//   no answer, 408, 429, 5xx → stop: this one and the rest stay waiting, tried again later
//   409 request-in-progress  → the same (the first send is still being handled)
//   a CSRF refusal           → the same (the sender has already fetched a fresh token once)
//   any other 4xx            → refused: kept on the phone with the server's reason; the next goes on

import { fallbackMessage, fieldMessages, problemMessage, type Locale, type Problem } from './http'

export type OutboxState = 'waiting' | 'refused'

/** What the list shows of a waiting request without asking anyone. */
export interface OutboxLabel {
  kind: 'visit' | 'outcome'
  studentId: string
  studentName: string
  classId: string
  /** The visit's date (visited on, or the planned date an outcome is about). */
  date: string
  /** For an outcome: done, missed, rescheduled or cancelled. */
  outcome?: string
  /** For an outcome: the planned visit. */
  visitId?: string
}

export interface OutboxItem {
  /** The Idempotency-Key, made when the visit was entered; the item's id too. */
  id: string
  /** The teacher who entered it: only their session sends it. */
  owner: string
  method: 'POST'
  path: string
  body: unknown
  label: OutboxLabel
  state: OutboxState
  /** The server's reason for a refused one. */
  reason: string | null
  /** The server's field messages for a refused one (by the field's last name). */
  fields: Record<string, string>
  /** The HTTP status of the refusal. */
  status: number | null
  /** The refusal's problem type (e.g. visit-settled), when the server named one. */
  problemType?: string | null
  /** When it was entered (an instant, ISO 8601): the order it is sent in. */
  enteredAt: string
  attempts: number
}

export interface Answer {
  status: number
  body: unknown
}

export type Verdict = 'sent' | 'refused' | 'retry' | 'signed-out'

function problemOf(body: unknown): Problem {
  return body && typeof body === 'object' ? (body as Problem) : {}
}

export function looksLikeCsrfRefusal(answer: Answer): boolean {
  if (answer.status !== 403) return false
  const { type, detail, title } = problemOf(answer.body)
  return [type, detail, title].some((v) => typeof v === 'string' && /csrf/i.test(v))
}

/** What an answer (null: none came, a network failure) makes of the request that was sent. */
export function verdict(answer: Answer | null): Verdict {
  if (answer === null) return 'retry'
  const { status } = answer
  if (status >= 200 && status < 300) return 'sent'
  if (status === 401) return 'signed-out'
  if (status === 408 || status === 429 || status >= 500 || status < 200) return 'retry'
  if (status === 409 && problemOf(answer.body).type?.endsWith('request-in-progress')) return 'retry'
  if (looksLikeCsrfRefusal(answer)) return 'retry'
  if (status >= 400) return 'refused'
  return 'retry' // 3xx: not an answer of the API
}

/** The server's reason, in one sentence. Unlike a page's error line, a 404 keeps the service's own
 * words ("学生不存在或不在您的权限范围内"): they tell no more than "未找到" and say which record. */
export function refusalReason(answer: Answer, locale: Locale = 'zh-CN'): { reason: string; fields: Record<string, string> } {
  const fields = fieldMessages(answer.body, locale)
  if (answer.status === 404) {
    const worded = problemMessage(400, { ...problemOf(answer.body), errors: null }, locale)
    const generic = fallbackMessage(400, locale)
    return { reason: worded === generic ? fallbackMessage(404, locale) : worded, fields }
  }
  return { reason: problemMessage(answer.status, answer.body, locale), fields }
}

export interface OutboxStore {
  list(): Promise<OutboxItem[]>
  get(id: string): Promise<OutboxItem | undefined>
  put(item: OutboxItem): Promise<void>
  remove(id: string): Promise<void>
}

export type SyncStop = 'done' | 'offline' | 'signed-out' | 'busy' | 'no-owner'

export interface SyncResult {
  sent: number
  refused: number
  /** Why the sync ended: all tried, no network (or the server could not answer), the session ended,
   * another sync (this tab or another) holds the lock, nobody signed in. */
  stopped: SyncStop
}

export interface SyncDeps {
  store: OutboxStore
  /** Sends one request with its Idempotency-Key; rejects when no answer came. */
  send: (item: OutboxItem) => Promise<Answer>
  /** Whose waiting requests to send (the signed-in teacher), null for nobody. */
  owner: () => string | null
  locale: () => Locale
}

/** The owner's waiting requests, in the order they were entered. */
export function waitingOf(items: OutboxItem[], owner: string): OutboxItem[] {
  return items
    .filter((item) => item.owner === owner && item.state === 'waiting')
    .sort((a, b) => a.enteredAt.localeCompare(b.enteredAt) || a.id.localeCompare(b.id))
}

/** One pass: sends the owner's waiting requests one at a time, stopping at the first that cannot be
 * answered (the rest stay waiting, untouched). */
export async function syncOnce(deps: SyncDeps): Promise<SyncResult> {
  const owner = deps.owner()
  const result: SyncResult = { sent: 0, refused: 0, stopped: 'done' }
  if (!owner) return { ...result, stopped: 'no-owner' }
  for (const listed of waitingOf(await deps.store.list(), owner)) {
    const item = await deps.store.get(listed.id) // deleted or changed meanwhile (another tab)?
    if (!item || item.state !== 'waiting' || item.owner !== owner) continue
    let answer: Answer | null
    try {
      answer = await deps.send(item)
    } catch {
      answer = null
    }
    const judged = verdict(answer)
    if (judged === 'sent') {
      await deps.store.remove(item.id)
      result.sent += 1
    } else if (judged === 'refused' && answer) {
      const { reason, fields } = refusalReason(answer, deps.locale())
      const problemType = problemOf(answer.body).type ?? null
      await deps.store.put({ ...item, state: 'refused', reason, fields, status: answer.status, problemType, attempts: item.attempts + 1 })
      result.refused += 1
    } else {
      await deps.store.put({ ...item, attempts: item.attempts + 1 })
      return { ...result, stopped: judged === 'signed-out' ? 'signed-out' : 'offline' }
    }
  }
  return result
}

/** The items waiting on this phone that the signed-in teacher (null: nobody) cannot send: another
 * teacher's, or everyone's once the session has ended. They are kept, and counted on 待同步. */
export function waitingForSignIn(items: OutboxItem[], owner: string | null): number {
  return items.filter((item) => item.state === 'waiting' && item.owner !== owner).length
}

export type Submitted =
  | { outcome: 'sent' }
  | { outcome: 'refused'; item: OutboxItem; status: number; reason: string; fields: Record<string, string> }
  | { outcome: 'queued'; item: OutboxItem }
  /** Not even kept on the phone (IndexedDB refused it: storage full, private mode): the form keeps
   * what was typed and says so. */
  | { outcome: 'unsaved'; error: unknown }

export interface SaveThenSendDeps {
  store: OutboxStore
  /** The one sync of the app (single flight): sends what waits, this item among it. */
  sync: () => Promise<SyncResult>
  online: () => boolean
  /** Told once the item is on the phone (the list, the other tabs). */
  saved?: () => Promise<void> | void
}

/** 提交 of a form: the item is written to the phone first, as waiting, and only then sent, through
 * the same sync as everything else (its Idempotency-Key makes a second send harmless). A network
 * that hangs or a phone closed meanwhile loses nothing: the item is already waiting. */
export async function saveThenSend(item: OutboxItem, deps: SaveThenSendDeps): Promise<Submitted> {
  try {
    await deps.store.put(item)
  } catch (error) {
    return { outcome: 'unsaved', error }
  }
  await deps.saved?.()
  if (!deps.online()) return { outcome: 'queued', item }
  // a sync already running listed the outbox before this item was in it: then one more pass
  for (let pass = 0; pass < 2; pass += 1) {
    const result = await deps.sync()
    const now = await deps.store.get(item.id).catch(() => item)
    if (!now) return { outcome: 'sent' }
    if (now.state === 'refused') {
      return { outcome: 'refused', item: now, status: now.status ?? 0, reason: now.reason ?? '', fields: now.fields }
    }
    if (result.stopped !== 'done') break
  }
  return { outcome: 'queued', item }
}

export const BUSY = Symbol('busy')

/** Runs `task` unless another holder has the lock (another tab syncing): then BUSY at once. */
export type Lock = <T>(task: () => Promise<T>) => Promise<T | typeof BUSY>

/** Only one sync at a time: a call while one runs gets that one's result; across tabs the lock
 * decides (the tab that finds it taken does nothing). */
export function createSyncer(deps: SyncDeps & { lock: Lock }): () => Promise<SyncResult> {
  let running: Promise<SyncResult> | null = null
  return function sync(): Promise<SyncResult> {
    running ??= (async () => {
      try {
        const outcome = await deps.lock(() => syncOnce(deps))
        return outcome === BUSY ? { sent: 0, refused: 0, stopped: 'busy' as const } : outcome
      } finally {
        running = null
      }
    })()
    return running
  }
}

/** A lock that only this page respects (no Web Locks API): enough for one tab. */
export function localLock(): Lock {
  let held = false
  return async <T>(task: () => Promise<T>) => {
    if (held) return BUSY
    held = true
    try {
      return await task()
    } finally {
      held = false
    }
  }
}

function randomId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  // randomUUID needs a secure context; getRandomValues does not
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** A new Idempotency-Key (also the item's id), made once when the visit is entered. */
export function newKey(random: () => string = randomId): string {
  return `visit-${random()}`
}
