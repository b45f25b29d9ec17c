// The installable app's service worker (public/sw.js): registered once the page has loaded, in
// the built app only (the development server serves the sources, which change at every edit).
export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return
  const register = () => {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {
      // no service worker (an insecure origin, a browser without one): the app works online only
    })
  }
  if (document.readyState === 'complete') register()
  else window.addEventListener('load', register, { once: true })
}
