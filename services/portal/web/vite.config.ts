/// <reference types="vitest/config" />
import vue from '@vitejs/plugin-vue'
import { defineConfig, type Plugin } from 'vite'

// The portal (FastAPI, port 8000) is the one origin the browser talks to; in development Vite
// stands in front of it and forwards everything that is not the app itself.
const portal = 'http://127.0.0.1:8000'

// Vant's icon font is embedded (woff2, a data: URL) with a fallback on a CDN. Pages reach no third
// party, and the portal's CSP would refuse it anyway: the fallback is dropped from the CSS.
function noThirdPartyFonts(): Plugin {
  return {
    name: 'no-third-party-fonts',
    enforce: 'pre',
    transform(code, id) {
      if (!id.includes('vant') || !id.endsWith('.css')) return null
      return code.replace(/,\s*url\((?:https?:)?\/\/at\.alicdn\.com\/[^)]*\)\s*format\("woff"\)/g, '')
    },
  }
}

export default defineConfig({
  base: '/',
  plugins: [noThirdPartyFonts(), vue()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: {
    proxy: {
      '/api': portal,
      '/auth': portal,
      '/l': portal,
      '/.well-known': portal,
    },
  },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
  },
})
