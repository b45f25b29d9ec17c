/// <reference types="vitest/config" />
/// <reference types="node" />
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative, resolve, sep } from 'node:path'
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

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  )
}

// The service worker (public/sw.js) precaches every built file, so that every page (the router
// loads each page's chunk lazily) opens offline after one visit. Once the build is written, this
// writes the list of files into dist/sw.js, with a hash of their contents as the worker's version:
// a new build is a new worker, which replaces the old cache.
export function precacheList(): Plugin {
  let outDir = ''
  return {
    name: 'precache-list',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir)
    },
    closeBundle() {
      const worker = join(outDir, 'sw.js')
      const files = filesUnder(outDir)
        .map((file) => relative(outDir, file).split(sep).join('/'))
        .filter((file) => file !== 'sw.js' && !file.endsWith('.map'))
        .sort()
      const hash = createHash('sha256')
      for (const file of files) hash.update(file).update('\0').update(readFileSync(join(outDir, file)))
      const version = hash.digest('hex').slice(0, 16)
      const source = readFileSync(worker, 'utf8')
      const written = source
        .replace(/^const VERSION = '[^']*'.*$/m, `const VERSION = '${version}'`)
        .replace(/^const PRECACHE = \[\].*$/m, `const PRECACHE = ${JSON.stringify(files.map((file) => `/${file}`))}`)
      if (!written.includes(version) || written.includes('const PRECACHE = []')) {
        throw new Error('precache-list: dist/sw.js has no VERSION or PRECACHE line to fill in')
      }
      writeFileSync(worker, written)
    },
  }
}

export default defineConfig({
  base: '/',
  plugins: [noThirdPartyFonts(), vue(), precacheList()],
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
