import { describe, expect, it } from 'vitest'
import { deskOnlyFiles } from '../../vite.config'

function chunk(fileName: string, facade: string | null, more: Partial<Parameters<typeof deskOnlyFiles>[0][number]> = {}) {
  return { fileName, isEntry: false, facadeModuleId: facade, imports: [], dynamicImports: [], importedCss: [], importedAssets: [], ...more }
}

describe("the phones' precache leaves the desks out", () => {
  const chunks = [
    chunk('assets/index.js', '/w/src/main.ts', {
      isEntry: true,
      dynamicImports: ['assets/VisitLog.js', 'assets/ConsoleLayout.js', 'assets/RegistryPage.js'],
      importedCss: ['assets/index.css'],
    }),
    chunk('assets/VisitLog.js', '/w/src/pages/teacher/VisitLog.vue', { imports: ['assets/useApi.js'] }),
    chunk('assets/ConsoleLayout.js', '/w/src/components/console/ConsoleLayout.vue', {
      imports: ['assets/element-plus.js', 'assets/useApi.js'],
      importedCss: ['assets/ConsoleLayout.css'],
    }),
    chunk('assets/RegistryPage.js', '/w/src/pages/console/school/RegistryPage.vue', {
      imports: ['assets/element-plus.js', 'assets/registry.js', 'assets/useApi.js'],
      importedCss: ['assets/RegistryPage.css', 'assets/index.css'],
    }),
    chunk('assets/element-plus.js', null),
    chunk('assets/registry.js', '/w/src/lib/console/registry.ts'),
    chunk('assets/useApi.js', '/w/src/composables/useApi.ts'),
  ]

  it('drops the console pages, their frame, Element Plus and their CSS', () => {
    expect([...deskOnlyFiles(chunks)].sort()).toEqual([
      'assets/ConsoleLayout.css',
      'assets/ConsoleLayout.js',
      'assets/RegistryPage.css',
      'assets/RegistryPage.js',
      'assets/element-plus.js',
      'assets/registry.js',
    ])
  })

  it('keeps what the phone pages use, even when a desk page uses it too', () => {
    const desk = deskOnlyFiles(chunks)
    for (const kept of ['assets/index.js', 'assets/index.css', 'assets/VisitLog.js', 'assets/useApi.js']) expect(desk.has(kept)).toBe(false)
  })
})
