import { describe, expect, it } from 'vitest'
import {
  committable,
  decodeCsv,
  intoClass,
  markedRows,
  parseCsv,
  reasonText,
  rejectedProblems,
  rosterContentType,
  rosterTable,
  shownColumns,
  toCsv,
} from '../../src/lib/console/registryRoster'

describe('a roster file as the registry reads it', () => {
  it("is sent as CSV or XLSX by its name, whatever type the browser gave it", () => {
    expect(rosterContentType('三年级1班.CSV')).toBe('text/csv')
    expect(rosterContentType('roster.xlsx')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
    expect(rosterContentType('roster.xls')).toBeNull()
  })

  it('reads UTF-8 with a BOM, and GBK as Excel saves it', () => {
    const utf8 = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('姓名\n王芳\n')])
    expect(parseCsv(decodeCsv(utf8))[0]).toEqual(['姓名'])
    // 姓名 in GBK
    const gbk = new Uint8Array([0xd0, 0xd5, 0xc3, 0xfb, 0x0a])
    expect(decodeCsv(gbk)).toBe('姓名\n')
  })

  it('parses quoted cells with commas, doubled quotes and line breaks, and CRLF rows', () => {
    const table = parseCsv('a,b\r\n"x, y","say ""hi"""\r\n"two\nlines",z')
    expect(table).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['two\nlines', 'z'],
    ])
  })

  it('numbers the rows as the registry does: header row 1, blank rows skipped and not counted', () => {
    const table = rosterTable(parseCsv('姓名,性别,学号,班级\n王芳,女,1,三年级1班\n,,,\n李强 ,男,2,三年级1班\n'))
    expect(table.columns).toEqual(['姓名', '性别', '学号', '班级'])
    expect(table.rows.map((r) => r.row)).toEqual([2, 3])
    expect(table.rows[1]?.cells['姓名']).toBe('李强')
  })
})

describe("the dry run's bad rows", () => {
  const table = rosterTable(parseCsv('姓名,性别,学号,班级,联系电话\n王芳,女,1,三年级1班,13800000001\n李强,M,2,九年级9班,12\n赵敏,女,3,三年级1班,\n'))
  const report = {
    rows: 3,
    bad_rows: 1,
    problems: [
      { row: 3, column: '性别', reason: '应为 男 或 女' },
      { row: 3, column: '班级', reason: '本校没有班级「九年级9班」 (unknown class)' },
      { row: 3, column: '联系电话', reason: '应为 11 位手机号 (11-digit mainland mobile number)' },
    ],
  }

  it('marks each bad column of each bad row with its reason in Chinese, beside the row\'s cells', () => {
    const rows = markedRows(report, table)
    expect(rows).toHaveLength(1)
    expect(rows[0]?.row).toBe(3)
    expect(rows[0]?.cells['姓名']).toBe('李强')
    expect(rows[0]?.bad).toEqual({
      性别: ['应为 男 或 女'],
      班级: ['本校没有班级「九年级9班」'],
      联系电话: ['应为 11 位手机号'],
    })
  })

  it('lists every bad row of a file whose every row is bad, in row order', () => {
    const all = markedRows(
      {
        problems: [
          { row: 4, column: '学号', reason: '必填 (required)' },
          { row: 2, column: '姓名', reason: '必填 (required)' },
          { row: 3, column: '性别', reason: '应为 男 或 女' },
          { row: 2, column: '姓名', reason: '必填 (required)' },
        ],
      },
      table,
    )
    expect(all.map((r) => r.row)).toEqual([2, 3, 4])
    expect(all[0]?.bad['姓名']).toEqual(['必填'])
  })

  it('shows the file\'s columns, or without them (XLSX) the bad ones in the roster\'s order', () => {
    const rows = markedRows(report, null)
    expect(shownColumns(table, rows)).toEqual(['姓名', '性别', '学号', '班级', '联系电话'])
    expect(shownColumns(null, rows)).toEqual(['性别', '班级', '联系电话'])
  })

  it('keeps a Chinese reason whole and an English-only one as it is', () => {
    expect(reasonText('与第 2 行重复 (duplicate student number)')).toBe('与第 2 行重复')
    expect(reasonText('String should have at most 30 characters')).toBe('String should have at most 30 characters')
  })

  it('lets the file be imported only when every row is good', () => {
    expect(committable(report)).toBe(false)
    expect(committable({ rows: 3, bad_rows: 0, problems: [] })).toBe(true)
    expect(committable({ rows: 0, bad_rows: 0, problems: [] })).toBe(false)
    expect(committable(null)).toBe(false)
  })

  it("reads the rows of a refused import from the problem's errors", () => {
    expect(rejectedProblems([{ field: 'row 5: 学号', message: '必填 (required)' }, { field: 'body', message: 'x' }])).toEqual([
      { row: 5, column: '学号', reason: '必填 (required)' },
    ])
  })
})

describe('a class chosen on the page for a CSV that names none', () => {
  it('adds the 班级 column when the file has none, leaving blank rows blank', () => {
    const table = intoClass(parseCsv('姓名,性别,学号\n王芳,女,1\n,,\n李强,男,2\n'), '三年级2班')
    expect(table).toEqual([
      ['姓名', '性别', '学号', '班级'],
      ['王芳', '女', '1', '三年级2班'],
      ['', '', ''],
      ['李强', '男', '2', '三年级2班'],
    ])
    expect(rosterTable(table).rows.map((r) => r.cells['班级'])).toEqual(['三年级2班', '三年级2班'])
  })

  it('fills only the rows that name no class', () => {
    const table = intoClass(parseCsv('姓名,班级,学号\n王芳,,1\n李强,三年级1班,2\n赵敏'), '三年级2班')
    expect(table.slice(1).map((row) => row[1])).toEqual(['三年级2班', '三年级1班', '三年级2班'])
  })

  it('writes CSV that reads back the same, quotes and commas kept', () => {
    const table = [['姓名', '备注'], ['王芳', 'say "hi", then\nleave']]
    expect(parseCsv(toCsv(table))).toEqual(table)
  })
})
