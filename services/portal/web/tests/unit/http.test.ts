import { describe, expect, it, vi } from 'vitest'
import { ApiError, createApi, fieldMessages, ifMatch, isRecordChanged, problemMessage, readCookie } from '../../src/lib/http'

function json(status: number, body: unknown, type = 'application/json'): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': type },
  })
}

/** A browser stand-in: a cookie jar that GET /auth/csrf fills, and a log of what was sent. */
function browser(initialCookie = '', answer: (path: string, init: RequestInit) => Response = () => json(200, {})) {
  const jar = { cookie: initialCookie }
  const sent: { path: string; init: RequestInit }[] = []
  const fetch = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const path = String(input)
    sent.push({ path, init })
    if (path === '/auth/csrf') {
      jar.cookie = 'portal_csrf=fresh-token'
      return new Response(null, { status: 204 })
    }
    return answer(path, init)
  })
  const onUnauthenticated = vi.fn()
  const api = createApi({
    fetch: fetch as unknown as typeof globalThis.fetch,
    cookies: () => jar.cookie,
    locale: () => 'zh-CN',
    onUnauthenticated,
  })
  return { api, sent, jar, onUnauthenticated }
}

function header(init: RequestInit, name: string): string | undefined {
  return (init.headers as Record<string, string>)[name]
}

describe('readCookie', () => {
  it('finds a cookie among others and decodes it', () => {
    expect(readCookie('a=1; portal_csrf=abc%3D%3D; b=2', 'portal_csrf')).toBe('abc==')
  })
  it('is null when absent or empty', () => {
    expect(readCookie('a=1', 'portal_csrf')).toBeNull()
    expect(readCookie('portal_csrf=', 'portal_csrf')).toBeNull()
    expect(readCookie('', 'portal_csrf')).toBeNull()
  })
  it('does not match a cookie whose name merely ends the same', () => {
    expect(readCookie('xportal_csrf=nope', 'portal_csrf')).toBeNull()
  })
})

describe('CSRF on requests', () => {
  it('sends the portal_csrf cookie as X-CSRF-Token on a state-changing request', async () => {
    const { api, sent } = browser('portal_csrf=tok-1')
    await api('PUT', '/api/scheduling/v1/meetings/m-1/rsvp', { body: { answer: 'yes' } })
    expect(sent).toHaveLength(1)
    expect(header(sent[0]!.init, 'X-CSRF-Token')).toBe('tok-1')
    expect(sent[0]!.init.credentials).toBe('same-origin')
    expect(sent[0]!.init.body).toBe('{"answer":"yes"}')
  })

  it("sends a file's bytes as they are, with their content type and the CSRF token", async () => {
    const { api, sent } = browser('portal_csrf=tok-2')
    const file = new Blob(['姓名,学号\n'], { type: 'text/csv' })
    await api('POST', '/api/registry/v1/schools/s-1/roster?dry_run=true', { body: file, contentType: 'text/csv; charset=utf-8' })
    expect(sent[0]!.init.body).toBe(file)
    expect(header(sent[0]!.init, 'Content-Type')).toBe('text/csv; charset=utf-8')
    expect(header(sent[0]!.init, 'X-CSRF-Token')).toBe('tok-2')

    const bytes = new Uint8Array([0x50, 0x4b, 3, 4]).buffer
    await api('POST', '/x', { body: bytes, contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' })
    expect(sent[1]!.init.body).toBe(bytes)
    expect(header(sent[1]!.init, 'Content-Type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')

    // a Blob without a type given names its own
    await api('POST', '/y', { body: file })
    expect(header(sent[2]!.init, 'Content-Type')).toBe('text/csv')
  })

  it('asks GET /auth/csrf first when the cookie is missing', async () => {
    const { api, sent } = browser('')
    await api('POST', '/auth/sms-code', { body: { phone: '13800138000' } })
    expect(sent.map((s) => s.path)).toEqual(['/auth/csrf', '/auth/sms-code'])
    expect(sent[0]!.init.method).toBe('GET')
    expect(header(sent[1]!.init, 'X-CSRF-Token')).toBe('fresh-token')
  })

  it('sends no token and makes no extra call on a GET', async () => {
    const { api, sent } = browser('')
    await api('GET', '/api/notifications/v1/inbox')
    expect(sent.map((s) => s.path)).toEqual(['/api/notifications/v1/inbox'])
    expect(header(sent[0]!.init, 'X-CSRF-Token')).toBeUndefined()
  })

  it('fetches a fresh token and retries once when the portal refuses a stale one', async () => {
    let calls = 0
    const { api, sent } = browser('portal_csrf=stale', (path) => {
      if (path === '/auth/sign-out' && calls++ === 0) {
        return json(403, { type: 'csrf', title: 'Forbidden', status: 403, detail: 'CSRF 令牌无效' }, 'application/problem+json')
      }
      return new Response(null, { status: 204 })
    })
    await api('POST', '/auth/sign-out')
    expect(sent.map((s) => s.path)).toEqual(['/auth/sign-out', '/auth/csrf', '/auth/sign-out'])
    expect(header(sent[2]!.init, 'X-CSRF-Token')).toBe('fresh-token')
  })

  it('does not retry a 403 that is not about CSRF', async () => {
    const { api, sent } = browser('portal_csrf=t', () =>
      json(403, { type: 'forbidden', title: 'Forbidden', status: 403, detail: '角色无权进行此操作' }, 'application/problem+json'),
    )
    await expect(api('POST', '/api/x')).rejects.toMatchObject({ status: 403, message: '角色无权进行此操作' })
    expect(sent).toHaveLength(1)
  })
})

describe('errors', () => {
  it('turns problem+json into an ApiError with a plain message and field messages', async () => {
    const { api } = browser('portal_csrf=t', () =>
      json(
        401,
        { type: 'wrong-code', title: 'Unauthorized', status: 401, detail: '验证码错误或已过期', errors: [{ field: 'body.code', message: '验证码错误或已过期' }] },
        'application/problem+json',
      ),
    )
    const error = await api('POST', '/auth/sms-sign-in', { body: {} }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect((error as ApiError).status).toBe(401)
    expect((error as ApiError).message).toBe('验证码错误或已过期')
    expect((error as ApiError).fields).toEqual({ code: '验证码错误或已过期' })
  })

  it('calls onUnauthenticated on a 401 from the API but not from /auth', async () => {
    const { api, onUnauthenticated } = browser('', () => json(401, { detail: 'x' }))
    await api('GET', '/auth/me').catch(() => undefined)
    expect(onUnauthenticated).not.toHaveBeenCalled()
    await api('GET', '/api/notifications/v1/inbox').catch(() => undefined)
    expect(onUnauthenticated).toHaveBeenCalledOnce()
  })

  it('reports a network failure in plain words', async () => {
    const api = createApi({
      fetch: (() => Promise.reject(new TypeError('Failed to fetch'))) as unknown as typeof fetch,
      cookies: () => '',
      locale: () => 'zh-CN',
    })
    await expect(api('GET', '/api/x')).rejects.toMatchObject({ status: 0, message: '网络连接失败，请检查网络后重试' })
  })

  it('returns nothing for 204 and the parsed body otherwise', async () => {
    const { api } = browser('', () => json(200, [{ message_id: 'a' }]))
    expect(await api('GET', '/api/notifications/v1/inbox')).toEqual([{ message_id: 'a' }])
    const empty = browser('portal_csrf=t', () => new Response(null, { status: 204 }))
    expect(await empty.api('POST', '/auth/sign-out')).toBeUndefined()
  })
})

describe('extra headers and full field names', () => {
  it('sends the Idempotency-Key given, on every try, beside the CSRF header', async () => {
    const { api, sent } = browser('portal_csrf=t')
    await api('POST', '/api/scheduling/v1/meetings', { body: {}, headers: { 'Idempotency-Key': 'meeting-1' } })
    await api('POST', '/api/scheduling/v1/meetings', { body: {}, headers: { 'Idempotency-Key': 'meeting-1' } })
    expect(sent.map((s) => header(s.init, 'Idempotency-Key'))).toEqual(['meeting-1', 'meeting-1'])
    expect(header(sent[0]!.init, 'X-CSRF-Token')).toBe('t')
  })

  it('keeps the field errors with their full names (which visit of a list)', async () => {
    const errors = [{ field: 'body.visits.2.student_id', message: '该学生本学期已有计划中的家访' }]
    const { api } = browser('portal_csrf=t', () => json(409, { status: 409, detail: '已有计划', errors }, 'application/problem+json'))
    const error = (await api('POST', '/x', { body: {} }).catch((e: unknown) => e)) as ApiError
    expect(error.errors).toEqual(errors)
    expect(error.fields).toEqual({ student_id: '该学生本学期已有计划中的家访' })
  })
})

describe('problemMessage', () => {
  it('says 未找到 for any 404, whatever the service wrote', () => {
    expect(problemMessage(404, { detail: '学生不存在或不在权限范围内 (not found)' })).toBe('未找到')
    expect(problemMessage(404, undefined)).toBe('未找到')
    expect(problemMessage(404, {}, 'en')).toBe('Not found.')
  })
  it('drops the English gloss for Chinese readers and keeps it for English ones', () => {
    const body = { detail: '会议已开始或已结束，不能再回复 (RSVP closed)' }
    expect(problemMessage(409, body)).toBe('会议已开始或已结束，不能再回复')
    expect(problemMessage(409, body, 'en')).toBe('RSVP closed')
  })
  it('prefers a field message to the general detail', () => {
    expect(problemMessage(422, { detail: 'Validation failed', errors: [{ field: 'body.phone', message: '手机号格式不正确' }] })).toBe('手机号格式不正确')
  })
  it('falls back to a Chinese sentence by status when the service wrote only English', () => {
    expect(problemMessage(429, { detail: 'Too Many Requests' })).toBe('操作太频繁，请稍后再试')
    expect(problemMessage(503, 'Bad Gateway')).toBe('服务暂时不可用，请稍后再试')
    expect(problemMessage(418, {})).toBe('操作失败，请稍后再试')
  })
  it('keeps a locked account message as the portal wrote it', () => {
    expect(problemMessage(423, { detail: '多次登录失败，账号已锁定，请 15 分钟后再试' })).toBe('多次登录失败，账号已锁定，请 15 分钟后再试')
  })
  it('names fields by their last part', () => {
    expect(fieldMessages({ errors: [{ field: 'body.code', message: '验证码错误或已过期' }] })).toEqual({ code: '验证码错误或已过期' })
  })
})

describe('saves that meet another person\'s', () => {
  it('sends the version read as If-Match', () => {
    expect(ifMatch(7)).toEqual({ 'If-Match': '"7"' })
  })

  it("knows both refusals of a save someone else's came before: record-changed and changed-meanwhile", () => {
    expect(isRecordChanged(new ApiError(409, 'x', 'https://district.example/problems/record-changed'))).toBe(true)
    expect(isRecordChanged(new ApiError(409, 'x', 'https://district.example/problems/changed-meanwhile'))).toBe(true)
    expect(isRecordChanged(new ApiError(409, 'x', 'changed-meanwhile'))).toBe(true)
    expect(isRecordChanged(new ApiError(409, 'x', 'https://district.example/problems/student-number-taken'))).toBe(false)
    expect(isRecordChanged(new ApiError(422, 'x', 'https://district.example/problems/record-changed'))).toBe(false)
    expect(isRecordChanged(new Error('record-changed'))).toBe(false)
    expect(isRecordChanged(null)).toBe(false)
  })
})
