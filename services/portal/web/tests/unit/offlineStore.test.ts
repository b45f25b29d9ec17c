import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it } from 'vitest'
import { ApiError } from '../../src/lib/http'
import { cachedGet, clearOfflineCache } from '../../src/lib/offlineCache'
import { closeOfflineDb, offlineDb } from '../../src/lib/offlineDb'
import { outboxStore } from '../../src/lib/outbox'
import { syncOnce, type OutboxItem } from '../../src/lib/sync'

function item(id: string): OutboxItem {
  return {
    id,
    owner: 'stf-1',
    method: 'POST',
    path: '/api/scheduling/v1/home-visits',
    body: { student_id: 'stu-1', visited_on: '2026-11-19' },
    label: { kind: 'visit', studentId: 'stu-1', studentName: '王小明', classId: 'c1', date: '2026-11-19' },
    state: 'waiting',
    reason: null,
    fields: {},
    status: null,
    enteredAt: new Date().toISOString(),
    attempts: 0,
  }
}

afterEach(async () => {
  const db = await offlineDb()
  await db.clear('outbox')
  await db.clear('cache')
})

describe('the outbox in IndexedDB', () => {
  it('a waiting visit survives closing the app (the database opened again)', async () => {
    await outboxStore.put(item('visit-1'))
    closeOfflineDb()
    expect(await outboxStore.list()).toEqual([item('visit-1')].map((i) => ({ ...i, enteredAt: expect.any(String) })))
  })

  it('a sync over IndexedDB removes what was sent and keeps what was refused', async () => {
    await outboxStore.put({ ...item('visit-1'), enteredAt: '1' })
    await outboxStore.put({ ...item('visit-2'), enteredAt: '2' })
    const result = await syncOnce({
      store: outboxStore,
      owner: () => 'stf-1',
      locale: () => 'zh-CN',
      send: async (i) => (i.id === 'visit-1' ? { status: 201, body: {} } : { status: 409, body: { detail: '家访已是「cancelled」状态，不能再登记结果' } }),
    })
    expect(result).toEqual({ sent: 1, refused: 1, stopped: 'done' })
    const left = await outboxStore.list()
    expect(left.map((i) => [i.id, i.state, i.reason])).toEqual([['visit-2', 'refused', '家访已是「cancelled」状态，不能再登记结果']])
  })
})

describe('read-through copies', () => {
  const path = '/api/registry/v1/classes/c1/students'
  const offline = () => Promise.reject(new ApiError(0, '网络连接失败'))

  it('serves the last copy read online when there is no network, to the same teacher only', async () => {
    const online = await cachedGet(path, 'stf-1', async () => [{ name: '王小明' }])
    expect(online.fromCache).toBe(false)
    const again = await cachedGet(path, 'stf-1', offline)
    expect(again).toMatchObject({ fromCache: true, data: [{ name: '王小明' }] })
    await expect(cachedGet(path, 'stf-2', offline)).rejects.toBeInstanceOf(ApiError)
  })

  it('a refusal is the answer, and forgets the copy (the class is no longer the teacher\'s)', async () => {
    await cachedGet(path, 'stf-1', async () => [{ name: '王小明' }])
    await expect(cachedGet(path, 'stf-1', () => Promise.reject(new ApiError(404, '未找到')))).rejects.toMatchObject({ status: 404 })
    await expect(cachedGet(path, 'stf-1', offline)).rejects.toMatchObject({ status: 0 })
  })

  it('nothing stays after sign-out', async () => {
    await cachedGet(path, 'stf-1', async () => [{ name: '王小明' }])
    await clearOfflineCache()
    await expect(cachedGet(path, 'stf-1', offline)).rejects.toMatchObject({ status: 0 })
  })
})
