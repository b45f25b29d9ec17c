import { describe, expect, it } from 'vitest'

// Every page's source, as text: the rule below is about how the templates are written.
const pages = import.meta.glob<string>('../../src/**/*.vue', { query: '?raw', import: 'default', eager: true })

describe('status tags', () => {
  it('appear at once, without a fade-in', () => {
    // A tag fading in is read half transparent, too faint for its colour contrast, by a reader
    // and by the accessibility check that a browser test runs as the page arrives.
    const fading = Object.entries(pages).flatMap(([file, source]) =>
      // an attribute's value may hold a ">" (a comparison), so quoted values are read whole
      [...source.matchAll(/<el-tag\b(?:"[^"]*"|'[^']*'|[^>"'])*>/g)]
        .filter(([tag]) => !/\bdisable-transitions\b/.test(tag))
        .map(([tag]) => `${file}: ${tag}`),
    )
    expect(Object.keys(pages).length).toBeGreaterThan(10)
    expect(fading).toEqual([])
  })
})
