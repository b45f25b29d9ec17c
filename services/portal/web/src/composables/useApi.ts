import { currentLocale } from '../i18n'
import { ApiError, createApi, type Api } from '../lib/http'
import { SCHOOL_DATE_HEADER, noteSchoolDate } from '../lib/schoolDate'

let unauthenticated: (() => void) | undefined

const api: Api = createApi({
  // each answer names today on the school clock (the visit forms' "not after today")
  fetch: (input, init) =>
    window.fetch(input, init).then((response) => {
      noteSchoolDate(response.headers.get(SCHOOL_DATE_HEADER))
      return response
    }),
  cookies: () => document.cookie,
  locale: currentLocale,
  onUnauthenticated: () => unauthenticated?.(),
})

/** The router registers where a page goes when the session has ended under it. */
export function onUnauthenticated(handler: () => void): void {
  unauthenticated = handler
}

export function useApi() {
  return {
    get: <T>(path: string) => api<T>('GET', path),
    post: <T>(path: string, body?: unknown) => api<T>('POST', path, { body }),
    put: <T>(path: string, body?: unknown) => api<T>('PUT', path, { body }),
    request: api,
  }
}

/** The message to show for anything a request threw. */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message
  return error instanceof Error ? error.message : String(error)
}

export { ApiError }
