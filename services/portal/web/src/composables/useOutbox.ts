import { computed, ref, shallowRef, watch } from 'vue'
import { currentLocale } from '../i18n'
import { browserLock, outboxStore, sendItem } from '../lib/outbox'
import { createSyncer, verdict, refusalReason, waitingOf, type Answer, type OutboxItem, type OutboxLabel, type SyncResult } from '../lib/sync'
import { useSession } from './useSession'

// The visits waiting on this phone, shared by every page: the tab bar's count, the 待同步 page, the
// visit forms. A sync runs at app start (once a teacher is known), when the network comes back,
// every 30 s while something waits, and on the page's button; never two at once, across tabs too.

const SYNC_EVERY_MS = 30_000
const CHANNEL = 'district-portal-outbox'

const items = shallowRef<OutboxItem[]>([])
const online = ref(typeof navigator === 'undefined' ? true : navigator.onLine)
const syncing = ref(false)
const needsSignIn = ref(false)
const lastResult = shallowRef<SyncResult | null>(null)
const storageProblem = ref('')

const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(CHANNEL)

function owner(): string | null {
  const user = useSession().user.value
  return user && user.role === 'teacher' ? user.subject : null
}

async function refresh(): Promise<void> {
  const who = owner()
  try {
    const all = who ? await outboxStore.list() : []
    items.value = all
      .filter((item) => item.owner === who)
      .sort((a, b) => a.enteredAt.localeCompare(b.enteredAt) || a.id.localeCompare(b.id))
    storageProblem.value = ''
  } catch (error) {
    storageProblem.value = error instanceof Error ? error.message : String(error)
  }
}

function changed(): void {
  channel?.postMessage('changed') // the other tabs of this phone read the outbox again
}

const syncer = createSyncer({ store: outboxStore, send: sendItem, owner, locale: currentLocale, lock: browserLock() })

async function sync(): Promise<SyncResult> {
  syncing.value = true
  try {
    const result = await syncer()
    lastResult.value = result
    if (result.stopped !== 'busy') needsSignIn.value = result.stopped === 'signed-out'
    if (result.stopped === 'signed-out') void useSession().load(true).catch(() => null)
    if (result.sent || result.refused) changed()
    return result
  } finally {
    syncing.value = false
    await refresh()
  }
}

export interface OutboxEntry {
  /** The Idempotency-Key, made when the teacher pressed 提交 (sync.newKey). */
  id: string
  path: string
  body: unknown
  label: OutboxLabel
}

async function enqueue(entry: OutboxEntry): Promise<OutboxItem> {
  const who = owner()
  if (!who) throw new Error('no teacher signed in')
  const item: OutboxItem = {
    id: entry.id,
    owner: who,
    method: 'POST',
    path: entry.path,
    body: entry.body,
    label: entry.label,
    state: 'waiting',
    reason: null,
    fields: {},
    status: null,
    enteredAt: new Date().toISOString(),
    attempts: 0,
  }
  await outboxStore.put(item)
  // what waits must outlive the browser's clean-ups under low storage, not only a restart
  void navigator.storage?.persist?.().catch(() => false)
  await refresh()
  changed()
  return item
}

export type Submitted =
  | { outcome: 'sent'; body: unknown }
  | { outcome: 'refused'; status: number; reason: string; fields: Record<string, string> }
  | { outcome: 'queued'; item: OutboxItem }

/** Sends at once when there is a network; with none, or no answer, or the server unable to answer,
 * the request waits in the outbox with the same Idempotency-Key (sent twice, recorded once). A
 * refusal comes back to the form, which shows why. */
async function submit(entry: OutboxEntry): Promise<Submitted> {
  let answer: Answer | null = null
  if (typeof navigator === 'undefined' || navigator.onLine) {
    try {
      answer = await sendItem({
        id: entry.id,
        owner: owner() ?? '',
        method: 'POST',
        path: entry.path,
        body: entry.body,
        label: entry.label,
        state: 'waiting',
        reason: null,
        fields: {},
        status: null,
        enteredAt: '',
        attempts: 0,
      })
    } catch {
      answer = null
    }
  }
  const judged = verdict(answer)
  if (judged === 'sent' && answer) return { outcome: 'sent', body: answer.body }
  if (judged === 'refused' && answer) return { outcome: 'refused', status: answer.status, ...refusalReason(answer, currentLocale()) }
  if (judged === 'signed-out') needsSignIn.value = true
  return { outcome: 'queued', item: await enqueue(entry) }
}

/** Forget a refused request (the teacher decided it is not to be sent). */
async function remove(id: string): Promise<void> {
  await outboxStore.remove(id)
  await refresh()
  changed()
}

let timer: ReturnType<typeof setInterval> | undefined
let started = false

/** Once, from main.ts: the listeners and the timer that keep the outbox moving. */
export function startOutbox(): void {
  if (started || typeof window === 'undefined') return
  started = true
  window.addEventListener('online', () => {
    online.value = true
    void sync()
  })
  window.addEventListener('offline', () => {
    online.value = false
  })
  channel?.addEventListener('message', () => void refresh())
  const session = useSession()
  watch(
    () => (session.user.value?.role === 'teacher' ? session.user.value.subject : null),
    (who) => {
      void refresh().then(() => (who && navigator.onLine ? sync() : undefined))
    },
    { immediate: true },
  )
  watch(
    () => waitingCount.value > 0,
    (waiting) => {
      if (waiting && timer === undefined) {
        timer = setInterval(() => {
          if (navigator.onLine) void sync()
        }, SYNC_EVERY_MS)
      } else if (!waiting && timer !== undefined) {
        clearInterval(timer)
        timer = undefined
      }
    },
    { immediate: true },
  )
}

const waitingCount = computed(() => {
  const who = owner()
  return who ? waitingOf(items.value, who).length : 0
})
const refusedCount = computed(() => items.value.filter((item) => item.state === 'refused').length)

export function useOutbox() {
  return {
    items: computed(() => items.value),
    waitingCount,
    refusedCount,
    online: computed(() => online.value),
    syncing: computed(() => syncing.value),
    needsSignIn: computed(() => needsSignIn.value),
    lastResult: computed(() => lastResult.value),
    storageProblem: computed(() => storageProblem.value),
    sync,
    submit,
    enqueue,
    remove,
    refresh,
    find: (id: string) => items.value.find((item) => item.id === id) ?? null,
  }
}
