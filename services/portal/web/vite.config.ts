/// <reference types="vitest/config" />
/// <reference types="node" />
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative, resolve, sep } from 'node:path'
import vue from '@vitejs/plugin-vue'
import { defineConfig, type Plugin } from 'vite'
import type { Rollup } from 'vite'

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

// The desks' code (the consoles' pages and frame, with Element Plus and ECharts: about a megabyte)
// is loaded only when a desk page opens. A teacher's phone must not download it with the app.
const DESK_MODULE = /[\\/]src[\\/](pages[\\/]console|components[\\/]console)[\\/]/

interface ChunkFacts {
  fileName: string
  isEntry: boolean
  facadeModuleId: string | null
  imports: string[]
  dynamicImports: string[]
  importedCss: string[]
  importedAssets: string[]
}

function chunkFacts(bundle: Rollup.OutputBundle): ChunkFacts[] {
  return Object.values(bundle)
    .filter((item): item is Rollup.OutputChunk => item.type === 'chunk')
    .map((chunk) => ({
      fileName: chunk.fileName,
      isEntry: chunk.isEntry,
      facadeModuleId: chunk.facadeModuleId,
      imports: chunk.imports,
      dynamicImports: chunk.dynamicImports,
      importedCss: [...(chunk.viteMetadata?.importedCss ?? [])],
      importedAssets: [...(chunk.viteMetadata?.importedAssets ?? [])],
    }))
}

/** The built files only the desks use: every chunk the app reaches only through a desk page or
 * the console's frame, and the CSS and assets only those chunks import. The phone pages' chunks
 * and whatever they share with the desks stay. */
export function deskOnlyFiles(chunks: readonly ChunkFacts[]): Set<string> {
  const byName = new Map(chunks.map((chunk) => [chunk.fileName, chunk]))
  const desk = (chunk: ChunkFacts) => Boolean(chunk.facadeModuleId && DESK_MODULE.test(chunk.facadeModuleId))
  const phone = new Set<string>()
  const queue = chunks.filter((chunk) => chunk.isEntry && !desk(chunk))
  for (let chunk = queue.pop(); chunk; chunk = queue.pop()) {
    if (phone.has(chunk.fileName)) continue
    phone.add(chunk.fileName)
    for (const name of [...chunk.imports, ...chunk.dynamicImports]) {
      const next = byName.get(name)
      if (next && !desk(next) && !phone.has(name)) queue.push(next)
    }
  }
  const phoneUses = new Set<string>()
  for (const name of phone) {
    const chunk = byName.get(name)
    for (const file of [...(chunk?.importedCss ?? []), ...(chunk?.importedAssets ?? [])]) phoneUses.add(file)
  }
  const deskOnly = new Set<string>()
  for (const chunk of chunks) {
    if (phone.has(chunk.fileName)) continue
    deskOnly.add(chunk.fileName)
    for (const file of [...chunk.importedCss, ...chunk.importedAssets]) if (!phoneUses.has(file)) deskOnly.add(file)
  }
  return deskOnly
}

// The service worker (public/sw.js) precaches the built files of the phones' pages, so that every
// one of them (the router loads each page's chunk lazily) opens offline after one visit; the desks'
// files are left to the network (deskOnlyFiles). Once the build is written, this writes the list of
// files into dist/sw.js, with a hash of their contents as the worker's version: a new build is a
// new worker, which replaces the old cache.
export function precacheList(): Plugin {
  let outDir = ''
  let deskOnly = new Set<string>()
  return {
    name: 'precache-list',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir)
    },
    writeBundle(_options, bundle) {
      deskOnly = deskOnlyFiles(chunkFacts(bundle))
    },
    closeBundle() {
      const worker = join(outDir, 'sw.js')
      const files = filesUnder(outDir)
        .map((file) => relative(outDir, file).split(sep).join('/'))
        .filter((file) => file !== 'sw.js' && !file.endsWith('.map') && !deskOnly.has(file))
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
