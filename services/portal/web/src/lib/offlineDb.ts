// The phone's own database (IndexedDB): the visits waiting to be sent (outbox) and the copies of
// what the visit form read while online (cache). It survives closing the browser and restarting
// the phone; the cache is cleared at sign-out, the outbox never by sign-out.

import { openDB, type DBSchema, type IDBPDatabase } from 'idb'
import type { OutboxItem } from './sync'

export interface CachedRead {
  /** The path read, e.g. /api/registry/v1/classes/c1/students */
  path: string
  /** The signed-in person it was read for: another person on this phone never sees it. */
  owner: string
  data: unknown
  /** When it was read (an instant). */
  at: string
}

export interface OfflineSchema extends DBSchema {
  outbox: { key: string; value: OutboxItem }
  cache: { key: string; value: CachedRead }
}

export const DB_NAME = 'district-portal'
const VERSION = 1

let opening: Promise<IDBPDatabase<OfflineSchema>> | null = null

export function offlineDb(): Promise<IDBPDatabase<OfflineSchema>> {
  opening ??= openDB<OfflineSchema>(DB_NAME, VERSION, {
    upgrade(db) {
      if (!db.objectStoreNames.contains('outbox')) db.createObjectStore('outbox', { keyPath: 'id' })
      if (!db.objectStoreNames.contains('cache')) db.createObjectStore('cache', { keyPath: 'path' })
    },
    blocking() {
      // a newer version of the app wants the database: let it go, open again on next use
      void opening?.then((db) => db.close())
      opening = null
    },
  }).catch((error: unknown) => {
    opening = null
    throw error
  })
  return opening
}

/** For tests: forget the open connection (fake-indexeddb is reset between them). */
export function closeOfflineDb(): void {
  void opening?.then((db) => db.close()).catch(() => undefined)
  opening = null
}
