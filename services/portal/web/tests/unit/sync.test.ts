import { describe, expect, it, vi } from 'vitest'
import { createSender } from '../../src/lib/outbox'
import {
  BUSY,
  createSyncer,
  localLock,
  newKey,
  refusalReason,
  saveThenSend,
  syncOnce,
  verdict,
  waitingForSignIn,
  type Answer,
  type Lock,
  type OutboxItem,
  type OutboxStore,
} from '../../src/lib/sync'

function item(id: string, enteredAt: string, owner = 'stf-1', state: OutboxItem['state'] = 'waiting'): OutboxItem {
  return {
    id,
    owner,
    method: 'POST',
    path: '/api/scheduling/v1/home-visits',
    body: { student_id: id },
    label: { kind: 'visit', studentId: id, studentName: `学生${id}`, classId: 'c1', date: '2026-11-19' },
    state,
    reason: null,
    fields: {},
    status: null,
    enteredAt,
    attempts: 0,
  }
}

/** The outbox as IndexedDB keeps it, in memory. */
function memoryStore(items: OutboxItem[]): OutboxStore & { kept: Map<string, OutboxItem> } {
  const kept = new Map(items.map((i) => [i.id, structuredClone(i)]))
  return {
    kept,
    list: async () => [...kept.values()].map((i) => structuredClone(i)),
    get: async (id) => (kept.has(id) ? structuredClone(kept.get(id)) : undefined),
    put: async (i) => void kept.set(i.id, structuredClone(i)),
    remove: async (id) => void kept.delete(id),
  }
}

const created: Answer = { status: 201, body: { visit_id: 'v1' } }
const problem = (status: number, detail: string, extra: object = {}): Answer => ({ status, body: { type: 'about:blank', status, detail, ...extra } })

function deps(store: OutboxStore, send: (i: OutboxItem) => Promise<Answer>, owner: string | null = 'stf-1') {
  return { store, send, owner: () => owner, locale: () => 'zh-CN' as const }
}

describe('what an answer makes of a waiting request', () => {
  it('sent on 2xx, signed out on 401, retried on no answer, 408, 429, 5xx and a request still running', () => {
    expect(verdict(created)).toBe('sent')
    expect(verdict({ status: 200, body: {} })).toBe('sent')
    expect(verdict(problem(401, '请先登录'))).toBe('signed-out')
    expect(verdict(null)).toBe('retry')
    for (const status of [408, 429, 500, 502, 503]) expect(verdict(problem(status, 'x'))).toBe('retry')
    expect(verdict(problem(409, '相同的请求仍在处理中', { type: 'request-in-progress' }))).toBe('retry')
    expect(verdict(problem(403, '页面已过期 (missing or wrong CSRF token)', { type: 'csrf' }))).toBe('retry')
  })

  it('refused on any other 4xx: the student moved, the visit settled, a date the server refuses', () => {
    expect(verdict(problem(404, '学生不存在或不在您的权限范围内'))).toBe('refused')
    expect(verdict(problem(409, '家访已是「cancelled」状态，不能再登记结果', { type: 'visit-settled' }))).toBe('refused')
    expect(verdict(problem(422, '家访日期早于本学期开始'))).toBe('refused')
    expect(verdict(problem(403, '无权进行此操作'))).toBe('refused')
  })

  it('keeps the server\'s own words as the reason, a 404 included', () => {
    expect(refusalReason(problem(404, '学生不存在或不在您的权限范围内')).reason).toBe('学生不存在或不在您的权限范围内')
    expect(refusalReason({ status: 404, body: undefined }).reason).toBe('未找到')
    const late = refusalReason(
      problem(422, '请求参数有误', { errors: [{ field: 'body.visited_on', message: '家访日期早于本学期开始' }] }),
    )
    expect(late.reason).toBe('家访日期早于本学期开始')
    expect(late.fields).toEqual({ visited_on: '家访日期早于本学期开始' })
  })
})

describe('one sync', () => {
  it('sends the owner\'s waiting requests one at a time, in the order entered, each with its own key', async () => {
    const store = memoryStore([item('b', '2026-11-20T02:00:00Z'), item('a', '2026-11-20T01:00:00Z'), item('x', '2026-11-20T00:00:00Z', 'stf-2')])
    const sent: string[] = []
    let inFlight = 0
    const result = await syncOnce(
      deps(store, async (i) => {
        inFlight += 1
        expect(inFlight).toBe(1)
        sent.push(i.id)
        await Promise.resolve()
        inFlight -= 1
        return created
      }),
    )
    expect(sent).toEqual(['a', 'b']) // another teacher's visit is not sent with this session
    expect(result).toEqual({ sent: 2, refused: 0, stopped: 'done' })
    expect([...store.kept.keys()]).toEqual(['x'])
  })

  it('stops at the first request with no answer: it and the rest stay waiting, untouched', async () => {
    const store = memoryStore([item('a', '1'), item('b', '2'), item('c', '3')])
    const send = vi.fn(async (i: OutboxItem) => {
      if (i.id === 'b') throw new TypeError('Failed to fetch')
      return created
    })
    const result = await syncOnce(deps(store, send))
    expect(result).toEqual({ sent: 1, refused: 0, stopped: 'offline' })
    expect(send.mock.calls.map(([i]) => i.id)).toEqual(['a', 'b'])
    expect([...store.kept.values()].map((i) => [i.id, i.state])).toEqual([
      ['b', 'waiting'],
      ['c', 'waiting'],
    ])
    expect(store.kept.get('c')?.attempts).toBe(0)
  })

  it('keeps a refused request with the reason and goes on with the next', async () => {
    const store = memoryStore([item('a', '1'), item('b', '2')])
    const result = await syncOnce(
      deps(store, async (i) => (i.id === 'a' ? problem(404, '学生不存在或不在您的权限范围内') : created)),
    )
    expect(result).toEqual({ sent: 1, refused: 1, stopped: 'done' })
    const refused = store.kept.get('a')
    expect(refused).toMatchObject({ state: 'refused', reason: '学生不存在或不在您的权限范围内', status: 404 })
    // a refused request is not sent again by the next sync
    const again = vi.fn(async () => created)
    await syncOnce(deps(store, again))
    expect(again).not.toHaveBeenCalled()
  })

  it('a session that ended keeps everything waiting', async () => {
    const store = memoryStore([item('a', '1'), item('b', '2')])
    const result = await syncOnce(deps(store, async () => problem(401, '请先登录')))
    expect(result.stopped).toBe('signed-out')
    expect([...store.kept.values()].every((i) => i.state === 'waiting')).toBe(true)
  })

  it('a server that cannot answer now (503) leaves the request waiting, to be tried again', async () => {
    const store = memoryStore([item('a', '1')])
    expect((await syncOnce(deps(store, async () => problem(503, 'scheduling 暂时无法访问')))).stopped).toBe('offline')
    expect(store.kept.get('a')?.state).toBe('waiting')
  })

  it('sends nothing without a signed-in teacher', async () => {
    const send = vi.fn(async () => created)
    expect((await syncOnce(deps(memoryStore([item('a', '1')]), send, null))).stopped).toBe('no-owner')
    expect(send).not.toHaveBeenCalled()
  })

  it('skips a request deleted meanwhile (another tab)', async () => {
    const store = memoryStore([item('a', '1'), item('b', '2')])
    const send = vi.fn(async () => {
      await store.remove('b')
      return created
    })
    await syncOnce(deps(store, send))
    expect(send).toHaveBeenCalledTimes(1)
  })

  it('a retry after a dropped answer sends the same key again: the server answers it once', async () => {
    const store = memoryStore([item('a', '1')])
    // the server as scheduling's Idempotency-Key makes it: the first answer to a key is recorded
    // once and replayed for the same key, never a second record
    const records: string[] = []
    const answered = new Map<string, Answer>()
    const requests: string[] = []
    const server = (key: string): Answer => {
      requests.push(key)
      const replay = answered.get(key)
      if (replay) return replay
      records.push(`visit-of-${key}`)
      const answer: Answer = { status: 201, body: { visit_id: `v${records.length}` } }
      answered.set(key, answer)
      return answer
    }
    let drop = true
    const send = async (i: OutboxItem) => {
      const answer = server(i.id)
      if (drop) {
        drop = false
        throw new TypeError('network connection lost') // recorded, but the answer never came back
      }
      return answer
    }
    expect((await syncOnce(deps(store, send))).stopped).toBe('offline')
    expect(store.kept.get('a')?.state).toBe('waiting')
    expect((await syncOnce(deps(store, send))).sent).toBe(1)
    expect(requests).toEqual(['a', 'a']) // both requests carried the key made when it was entered
    expect(records).toHaveLength(1)
    expect(store.kept.has('a')).toBe(false) // the replayed answer took it off the phone
  })

  it('a request that gets no answer in time counts as no answer: the item stays waiting', async () => {
    const hanging: typeof fetch = (_input, init) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason))
      })
    const send = createSender({ fetch: hanging, cookies: () => 'portal_csrf=t1', timeoutMs: 20 })
    const store = memoryStore([item('a', '1'), item('b', '2')])
    const result = await syncOnce(deps(store, send))
    expect(result).toEqual({ sent: 0, refused: 0, stopped: 'offline' })
    expect([...store.kept.values()].map((i) => [i.id, i.state, i.attempts])).toEqual([
      ['a', 'waiting', 1],
      ['b', 'waiting', 0],
    ])
  })

  it('the sender gives each request the time limit and the item\'s key', async () => {
    const seen: RequestInit[] = []
    const fake: typeof fetch = async (_input, init) => {
      seen.push(init ?? {})
      return new Response(JSON.stringify({ visit_id: 'v1' }), { status: 201 })
    }
    const answer = await createSender({ fetch: fake, cookies: () => 'portal_csrf=t1' })(item('a', '1'))
    expect(answer).toEqual({ status: 201, body: { visit_id: 'v1' } })
    expect(seen).toHaveLength(1)
    expect(seen[0]?.signal).toBeInstanceOf(AbortSignal)
    expect((seen[0]?.headers as Record<string, string>)['Idempotency-Key']).toBe('a')
  })
})

describe('submitting a form: kept on the phone first, then sent', () => {
  const online = () => true

  it('the item is stored as waiting before anything is sent, and gone once sent', async () => {
    const store = memoryStore([])
    const order: string[] = []
    const send = vi.fn(async (i: OutboxItem) => {
      const kept = await store.get(i.id)
      order.push(`send (kept: ${kept?.state ?? 'no'})`)
      return created
    })
    const saved = vi.fn(() => void order.push('saved'))
    const sync = () => syncOnce(deps(store, send))
    const result = await saveThenSend(item('a', '1'), { store, sync, online, saved })
    expect(result).toEqual({ outcome: 'sent' })
    expect(order).toEqual(['saved', 'send (kept: waiting)'])
    expect(store.kept.size).toBe(0)
  })

  it('no answer in time: still waiting on the phone', async () => {
    const store = memoryStore([])
    const hanging: typeof fetch = (_input, init) =>
      new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)))
    const send = createSender({ fetch: hanging, cookies: () => 'portal_csrf=t1', timeoutMs: 20 })
    const result = await saveThenSend(item('a', '1'), { store, sync: () => syncOnce(deps(store, send)), online })
    expect(result.outcome).toBe('queued')
    expect(store.kept.get('a')?.state).toBe('waiting')
  })

  it('offline: kept and not sent', async () => {
    const store = memoryStore([])
    const sync = vi.fn(() => syncOnce(deps(store, async () => created)))
    expect((await saveThenSend(item('a', '1'), { store, sync, online: () => false })).outcome).toBe('queued')
    expect(sync).not.toHaveBeenCalled()
    expect(store.kept.get('a')?.state).toBe('waiting')
  })

  it('refused: kept on the phone with the reason, and the form is told', async () => {
    const store = memoryStore([])
    const sync = () => syncOnce(deps(store, async () => problem(422, '家访日期早于本学期开始')))
    const result = await saveThenSend(item('a', '1'), { store, sync, online })
    expect(result).toMatchObject({ outcome: 'refused', status: 422, reason: '家访日期早于本学期开始' })
    expect(store.kept.get('a')?.state).toBe('refused')
  })

  it('storage refused (quota, private mode): unsaved, nothing sent', async () => {
    const store = { ...memoryStore([]), put: async () => Promise.reject(new DOMException('full', 'QuotaExceededError')) }
    const sync = vi.fn(() => syncOnce(deps(store, async () => created)))
    expect((await saveThenSend(item('a', '1'), { store, sync, online })).outcome).toBe('unsaved')
    expect(sync).not.toHaveBeenCalled()
  })

  it('a sync already running that did not see the new item: one more pass sends it', async () => {
    const store = memoryStore([])
    const sent: string[] = []
    const send = async (i: OutboxItem) => {
      sent.push(i.id)
      return created
    }
    let calls = 0
    const sync = async () => {
      calls += 1
      if (calls === 1) return { sent: 0, refused: 0, stopped: 'done' as const } // listed before the item was kept
      return syncOnce(deps(store, send))
    }
    expect(await saveThenSend(item('a', '1'), { store, sync, online })).toEqual({ outcome: 'sent' })
    expect(sent).toEqual(['a'])
  })
})

describe('waiting items the session cannot send', () => {
  it('counts the waiting ones of anyone else, everyone\'s when nobody is signed in; never the refused', () => {
    const items = [item('a', '1', 'stf-1'), item('b', '2', 'stf-2'), item('c', '3', 'stf-1', 'refused')]
    expect(waitingForSignIn(items, null)).toBe(2)
    expect(waitingForSignIn(items, 'stf-1')).toBe(1)
    expect(waitingForSignIn(items, 'stf-2')).toBe(1)
    expect(waitingForSignIn([], null)).toBe(0)
  })
})

describe('never two syncs at once', () => {
  it('a sync asked for while one runs is that one', async () => {
    const store = memoryStore([item('a', '1'), item('b', '2')])
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const send = vi.fn(async () => {
      await gate
      return created
    })
    const sync = createSyncer({ ...deps(store, send), lock: localLock() })
    const first = sync()
    const second = sync()
    expect(second).toBe(first)
    release()
    expect(await first).toEqual({ sent: 2, refused: 0, stopped: 'done' })
    expect(send).toHaveBeenCalledTimes(2)
  })

  it('another tab holding the lock: this one sends nothing', async () => {
    const store = memoryStore([item('a', '1')])
    const send = vi.fn(async () => created)
    const taken: Lock = async () => BUSY
    const sync = createSyncer({ ...deps(store, send), lock: taken })
    expect((await sync()).stopped).toBe('busy')
    expect(send).not.toHaveBeenCalled()
  })

  it('the local lock refuses a second holder until the first is done', async () => {
    const lock = localLock()
    let release!: () => void
    const held = lock(() => new Promise<string>((resolve) => (release = () => resolve('first'))))
    expect(await lock(async () => 'second')).toBe(BUSY)
    release()
    expect(await held).toBe('first')
    expect(await lock(async () => 'third')).toBe('third')
  })
})

describe('keys', () => {
  it('each entry gets its own Idempotency-Key', () => {
    const keys = new Set(Array.from({ length: 100 }, () => newKey()))
    expect(keys.size).toBe(100)
    for (const key of keys) expect(key).toMatch(/^visit-[0-9a-f-]{32,36}$/)
  })
})
