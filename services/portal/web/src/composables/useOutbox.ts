import { computed, ref, shallowRef, watch } from 'vue'
import { currentLocale } from '../i18n'
import { browserLock, outboxStore, sendItem } from '../lib/outbox'
import {
  createSyncer,
  saveThenSend,
  waitingForSignIn,
  waitingOf,
  type OutboxItem,
  type OutboxLabel,
  type Submitted,
  type SyncResult,
} from '../lib/sync'
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
/** Waiting items this session cannot send (the session ended, or another teacher's): counted, kept. */
const othersWaiting = ref(0)

const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(CHANNEL)

function owner(): string | null {
  const user = useSession().user.value
  return user && user.role === 'teacher' ? user.subject : null
}

async function refresh(): Promise<void> {
  const who = owner()
  try {
    const all = await outboxStore.list()
    othersWaiting.value = waitingForSignIn(all, who)
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

function itemOf(entry: OutboxEntry): OutboxItem {
  const who = owner()
  if (!who) throw new Error('no teacher signed in')
  return {
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
}

async function saved(): Promise<void> {
  // what waits must outlive the browser's clean-ups under low storage, not only a restart
  void navigator.storage?.persist?.().catch(() => false)
  await refresh()
  changed()
}

export type { Submitted }

/** 提交 of a form: the entry is kept on the phone first (waiting, with the Idempotency-Key made
 * when it was entered), then sent by the sync when there is a network (each request with a time
 * limit). Sent → gone; refused → kept with the reason, and the form shows it; no answer → waiting.
 * Nothing could be kept (storage) → 'unsaved': the form keeps what was typed. */
async function submit(entry: OutboxEntry): Promise<Submitted> {
  let item: OutboxItem
  try {
    item = itemOf(entry)
  } catch (error) {
    return { outcome: 'unsaved', error }
  }
  const result = await saveThenSend(item, {
    store: outboxStore,
    sync,
    online: () => typeof navigator === 'undefined' || navigator.onLine,
    saved,
  })
  if (result.outcome === 'unsaved') storageProblem.value = result.error instanceof Error ? result.error.message : String(result.error)
  return result
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
    othersWaiting: computed(() => othersWaiting.value),
    sync,
    submit,
    remove,
    refresh,
    /** One record as the phone keeps it (IndexedDB), this teacher's only; null when gone or unreadable. */
    get: async (id: string): Promise<OutboxItem | null> => {
      const who = owner()
      const found = await outboxStore.get(id).catch(() => undefined)
      return found && who && found.owner === who ? found : null
    },
  }
}
