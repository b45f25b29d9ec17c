// The fetch wrapper's rules, kept free of the DOM so that they are unit-tested: the CSRF double
// submit the portal requires on every state-changing request, and problem+json answers turned
// into one plain sentence a guardian can read.

export type Locale = 'zh-CN' | 'en'

export const CSRF_COOKIE = 'portal_csrf'
export const CSRF_HEADER = 'X-CSRF-Token'

export interface FieldError {
  field: string
  message: string
  code?: string | null
}

export interface Problem {
  type?: string
  title?: string
  status?: number
  detail?: string
  errors?: FieldError[] | null
}

export class ApiError extends Error {
  readonly status: number
  readonly problemType: string | undefined
  /** Field messages keyed by the field's last name (`body.code` → `code`). */
  readonly fields: Record<string, string>
  /** The problem's field errors as sent, full field names kept (`body.visits.2.student_id`). */
  readonly errors: FieldError[]

  constructor(
    status: number,
    message: string,
    problemType?: string,
    fields: Record<string, string> = {},
    errors: FieldError[] = [],
  ) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.problemType = problemType
    this.fields = fields
    this.errors = errors
  }
}

export function readCookie(cookies: string, name: string): string | null {
  for (const part of cookies.split(';')) {
    const eq = part.indexOf('=')
    if (eq < 0) continue
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim()
      if (!value) return null
      try {
        return decodeURIComponent(value)
      } catch {
        return value
      }
    }
  }
  return null
}

export function isStateChanging(method: string): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase())
}

const CJK = /[\u3400-\u9fff]/

type Fallbacks = Record<400 | 401 | 403 | 404 | 409 | 410 | 422 | 423 | 429 | 500, string> & { network: string; other: string }

const FALLBACK: Record<Locale, Fallbacks> = {
  'zh-CN': {
    400: '请求有误，请检查后重试',
    401: '请先登录',
    403: '无权进行此操作',
    404: '未找到',
    409: '操作未完成：内容已变化或已处理过，请刷新后重试',
    410: '已失效',
    422: '填写的内容有误，请检查后重试',
    423: '账号已锁定，请稍后再试',
    429: '操作太频繁，请稍后再试',
    500: '服务暂时不可用，请稍后再试',
    network: '网络连接失败，请检查网络后重试',
    other: '操作失败，请稍后再试',
  },
  en: {
    400: 'The request was not understood. Please check and try again.',
    401: 'Please sign in first.',
    403: 'You may not do this.',
    404: 'Not found.',
    409: 'Not done: it changed or was already done. Please refresh and try again.',
    410: 'No longer valid.',
    422: 'Something entered is not right. Please check and try again.',
    423: 'The account is locked. Please try again later.',
    429: 'Too many attempts. Please try again later.',
    500: 'The service is unavailable. Please try again later.',
    network: 'No connection. Please check your network and try again.',
    other: 'Something went wrong. Please try again later.',
  },
}

export function fallbackMessage(status: number | 'network', locale: Locale = 'zh-CN'): string {
  const table = FALLBACK[locale]
  if (status === 'network') return table.network
  if (status in table) return table[status as keyof Fallbacks]
  return status >= 500 ? table[500] : table.other
}

// The services write "中文说明 (English gloss)": Chinese readers get the sentence without the gloss,
// English readers get the gloss when there is one.
const GLOSS = /\s*\(([^()]*)\)\s*$/

function plain(text: string, locale: Locale): string | null {
  const trimmed = text.trim()
  if (!trimmed) return null
  const gloss = GLOSS.exec(trimmed)
  if (locale === 'en') {
    if (!CJK.test(trimmed)) return trimmed
    if (gloss?.[1] && !CJK.test(gloss[1])) return gloss[1]
    return null
  }
  if (!CJK.test(trimmed)) return null
  if (gloss?.[1] && !CJK.test(gloss[1])) {
    const rest = trimmed.slice(0, gloss.index).trim()
    if (rest) return rest
  }
  return trimmed
}

/** One sentence for an error answer. 404 is always "未找到": the services answer 404 both for what
 * does not exist and for what is outside the caller's scope, and the page should not tell them apart. */
export function problemMessage(status: number, body: unknown, locale: Locale = 'zh-CN'): string {
  if (status === 404) return fallbackMessage(404, locale)
  const problem = (body && typeof body === 'object' ? body : {}) as Problem
  const candidates = [...(problem.errors ?? []).map((e) => e?.message), problem.detail, problem.title]
  for (const candidate of candidates) {
    if (typeof candidate !== 'string') continue
    const text = plain(candidate, locale)
    if (text) return text
  }
  return fallbackMessage(status, locale)
}

export function fieldMessages(body: unknown, locale: Locale = 'zh-CN'): Record<string, string> {
  const problem = (body && typeof body === 'object' ? body : {}) as Problem
  const fields: Record<string, string> = {}
  for (const error of problem.errors ?? []) {
    if (!error || typeof error.field !== 'string' || typeof error.message !== 'string') continue
    const name = error.field.split('.').pop() ?? error.field
    fields[name] ??= plain(error.message, locale) ?? fallbackMessage(422, locale)
  }
  return fields
}

export interface ApiDeps {
  fetch: typeof fetch
  /** The document's cookies (`document.cookie`), read at each request. */
  cookies: () => string
  locale: () => Locale
  /** Called on a 401 from a route that needs a session (not /auth/*). */
  onUnauthenticated?: () => void
}

export interface RequestOptions {
  /** JSON-encoded, unless it is a file's bytes (a Blob or an ArrayBuffer), sent as they are. */
  body?: unknown
  /** The bytes' content type (e.g. `text/csv; charset=utf-8`); a Blob's own type when not given. */
  contentType?: string
  /** Do not call onUnauthenticated on a 401 (the caller handles it). */
  quiet401?: boolean
  /** Extra request headers (e.g. `Idempotency-Key`, the same on every try of one action). */
  headers?: Record<string, string>
}

export type Api = <T = unknown>(method: string, path: string, options?: RequestOptions) => Promise<T>

async function readBody(response: Response): Promise<unknown> {
  if (response.status === 204) return undefined
  const text = await response.text()
  if (!text) return undefined
  const type = response.headers.get('content-type') ?? ''
  if (type.includes('json')) {
    try {
      return JSON.parse(text)
    } catch {
      return undefined
    }
  }
  return text
}

function looksLikeCsrfRefusal(status: number, body: unknown): boolean {
  if (status !== 403 || !body || typeof body !== 'object') return false
  const { type, detail, title } = body as Problem
  return [type, detail, title].some((v) => typeof v === 'string' && /csrf/i.test(v))
}

function isBytes(body: unknown): body is Blob | ArrayBuffer | ArrayBufferView {
  return (
    (typeof Blob !== 'undefined' && body instanceof Blob) ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body)
  )
}

/** The If-Match header of a save: the record's version as the page read it (the registry's
 * optimistic concurrency; the portal forwards it). */
export function ifMatch(version: number): Record<string, string> {
  return { 'If-Match': `"${version}"` }
}

// Someone else saved first: the registry's If-Match check says `record-changed`; two saves passing
// that check at the same moment are told apart by service_kit.changes as `changed-meanwhile`.
const RECORD_CHANGED = new Set(['record-changed', 'changed-meanwhile'])

/** Whether a save was refused because someone else changed the record since the page read it. */
export function isRecordChanged(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false
  const { status, problemType } = error as { status?: unknown; problemType?: unknown }
  if (status !== 409 || typeof problemType !== 'string') return false
  return RECORD_CHANGED.has(problemType.slice(problemType.lastIndexOf('/') + 1))
}

export function createApi(deps: ApiDeps): Api {
  async function ensureCsrf(force: boolean): Promise<string | null> {
    let token = force ? null : readCookie(deps.cookies(), CSRF_COOKIE)
    if (!token) {
      await deps.fetch('/auth/csrf', { method: 'GET', credentials: 'same-origin' })
      token = readCookie(deps.cookies(), CSRF_COOKIE)
    }
    return token
  }

  async function send(method: string, path: string, options: RequestOptions, freshCsrf: boolean): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers, Accept: 'application/json, application/problem+json' }
    const init: RequestInit = { method, credentials: 'same-origin', headers }
    if (isBytes(options.body)) {
      const type = options.contentType ?? (options.body instanceof Blob ? options.body.type : '')
      headers['Content-Type'] = type || 'application/octet-stream'
      init.body = options.body as BodyInit
    } else if (options.body !== undefined) {
      headers['Content-Type'] = options.contentType ?? 'application/json'
      init.body = JSON.stringify(options.body)
    }
    if (isStateChanging(method)) {
      const token = await ensureCsrf(freshCsrf)
      if (token) headers[CSRF_HEADER] = token
    }
    return deps.fetch(path, init)
  }

  return async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const verb = method.toUpperCase()
    let response: Response
    let body: unknown
    try {
      response = await send(verb, path, options, false)
      body = await readBody(response)
      if (isStateChanging(verb) && looksLikeCsrfRefusal(response.status, body)) {
        // A stale token (the portal binds a new one at sign-in): fetch a fresh one, once.
        response = await send(verb, path, options, true)
        body = await readBody(response)
      }
    } catch {
      throw new ApiError(0, fallbackMessage('network', deps.locale()))
    }
    if (response.ok) return body as T
    const locale = deps.locale()
    if (response.status === 401 && !options.quiet401 && !path.startsWith('/auth/')) deps.onUnauthenticated?.()
    const problem = body && typeof body === 'object' ? (body as Problem) : undefined
    throw new ApiError(
      response.status,
      problemMessage(response.status, body, locale),
      problem?.type,
      fieldMessages(body, locale),
      Array.isArray(problem?.errors) ? problem.errors.filter((e) => e && typeof e.field === 'string') : [],
    )
  }
}
