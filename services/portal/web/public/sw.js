// The service worker of the installable app (hand-written; no third party, the portal's CSP is
// default-src 'self'). After one visit online, every page of the app opens without a network:
//
// - the built files are precached at install: the build (vite.config.ts, precacheList) writes their
//   list and a hash of their contents below, so a new build is a new worker and a new cache. The
//   desks' files (the consoles, Element Plus, ECharts: about a megabyte) are not in the list: a
//   phone never downloads them, and a desk page loads them from the network like any other site;
// - a page (a navigation) comes from the network first, and from the cached index.html when there
//   is none (or it takes too long): the app's router then opens the page and its lazy chunk, which
//   the cache holds;
// - the API, the sign-in, one-tap links and calendar feeds are never cached: what the pages read
//   offline is kept by the app itself (IndexedDB: src/lib/offlineCache.ts, src/lib/outbox.ts).

const VERSION = 'development' // the build writes a hash of the built files here
const PRECACHE = [] // the build writes the built files here

const CACHE = `portal-shell-${VERSION}`
const SHELL = '/index.html'
const NAVIGATION_TIMEOUT_MS = 5000
const NEVER = ['/api/', '/auth/', '/calendar/', '/.well-known/', '/healthz', '/readyz', '/docs', '/openapi.json', '/asyncapi.json']
const precached = new Set(PRECACHE)

function neverCached(url) {
  return url.pathname === '/l' || url.pathname.startsWith('/l/') || NEVER.some((prefix) => url.pathname.startsWith(prefix))
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE)
      // past the HTTP cache: the files of this build, not a copy the browser kept of another
      await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: 'reload' })))
      // The first worker takes the page at once. A new build's worker does not: the pages open now
      // were built with the old files, and their lazily loaded chunks are in the old cache, which
      // goes when this worker activates. So it waits until every tab of the app is closed (the
      // browser's default); the next opening uses the new build.
      if (!self.registration.active) await self.skipWaiting()
    })(),
  )
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      // no tab runs an older build now (see install): its cache can go
      for (const name of await caches.keys()) {
        if (name.startsWith('portal-shell-') && name !== CACHE) await caches.delete(name)
      }
      await self.clients.claim()
    })(),
  )
})

function within(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}

async function page(request) {
  try {
    return await within(fetch(request), NAVIGATION_TIMEOUT_MS)
  } catch {
    const shell = await caches.match(SHELL, { cacheName: CACHE })
    return shell ?? Response.error()
  }
}

async function builtFile(request) {
  const cached = await caches.match(request, { cacheName: CACHE })
  return cached ?? fetch(request)
}

self.addEventListener('fetch', (event) => {
  const { request } = event
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  if (url.origin !== self.location.origin || neverCached(url)) return
  if (request.mode === 'navigate') {
    event.respondWith(page(request))
  } else if (precached.has(url.pathname)) {
    event.respondWith(builtFile(request))
  }
})
