// A class roster (花名册) file as the registry's import reads it (services/registry/registry/roster.py):
// which media type to send it as, its rows numbered as the registry numbers them, and the dry run's
// problems laid over those rows so that each bad row and column is marked. No I/O.

export const CSV_TYPE = 'text/csv'
export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'

/** The columns the registry reads: 姓名, 性别, 学号 and 班级 are required. */
export const REQUIRED_COLUMNS = ['姓名', '性别', '学号', '班级'] as const
export const ROSTER_COLUMNS = [
  ...REQUIRED_COLUMNS,
  '家长姓名',
  '关系',
  '联系电话',
  '留守儿童',
  '困难家庭',
  '特别关注',
  '单亲家庭',
  '残疾',
  '闲散青少年',
] as const

/** The largest file the page sends (a school's roster is a few thousand rows). */
export const MAX_ROSTER_BYTES = 5 * 1024 * 1024

/** The media type to send a file as, by its name: a browser names a .csv file
 * application/vnd.ms-excel where Excel is installed, which the registry would refuse. */
export function rosterContentType(fileName: string): string | null {
  const lower = fileName.toLowerCase()
  if (lower.endsWith('.csv')) return CSV_TYPE
  if (lower.endsWith('.xlsx')) return XLSX_TYPE
  return null
}

/** A CSV's text: UTF-8 (with or without BOM), else GBK/GB18030 as Excel saves it in China. */
export function decodeCsv(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    return new TextDecoder('gb18030').decode(bytes)
  }
}

/** CSV cells (RFC 4180: quoted cells may hold commas, quotes doubled, line breaks). */
export function parseCsv(text: string): string[][] {
  const table: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  const source = text.startsWith('\ufeff') ? text.slice(1) : text
  for (let i = 0; i < source.length; i++) {
    const char = source[i]
    if (quoted) {
      if (char === '"' && source[i + 1] === '"') {
        cell += '"'
        i++
      } else if (char === '"') {
        quoted = false
      } else {
        cell += char
      }
    } else if (char === '"') {
      quoted = true
    } else if (char === ',') {
      row.push(cell)
      cell = ''
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && source[i + 1] === '\n') i++
      row.push(cell)
      table.push(row)
      row = []
      cell = ''
    } else {
      cell += char
    }
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell)
    table.push(row)
  }
  return table
}

export interface RosterRow {
  /** The row's number as the registry's report gives it (the header is row 1, blank rows skipped). */
  row: number
  cells: Record<string, string>
}

export interface RosterTable {
  columns: string[]
  rows: RosterRow[]
}

/** The file's header and rows as the registry reads them: cells trimmed, blank rows left out and
 * not counted (the registry numbers the rows it keeps from 2). */
export function rosterTable(table: string[][]): RosterTable {
  const [header = [], ...body] = table
  const columns = header.map((cell) => cell.trim())
  const rows: RosterRow[] = []
  for (const line of body) {
    if (!line.some((cell) => cell.trim())) continue
    const cells: Record<string, string> = {}
    columns.forEach((name, i) => {
      if (name) cells[name] = (line[i] ?? '').trim()
    })
    rows.push({ row: rows.length + 2, cells })
  }
  return { columns: columns.filter(Boolean), rows }
}

/** registry RowProblem */
export interface RowProblem {
  row: number
  column: string
  reason: string
}

/** registry RosterReport */
export interface RosterReport {
  rows: number
  bad_rows: number
  problems: RowProblem[]
  students_created?: number
  students_updated?: number
  guardians_created?: number
  guardians_updated?: number
  applied?: boolean
}

export interface MarkedRow {
  row: number
  /** The row's cells when the page could read the file (CSV); empty for XLSX. */
  cells: Record<string, string>
  /** The reasons per bad column, in Chinese. */
  bad: Record<string, string[]>
}

// The registry writes "中文 (English gloss)": the console shows the Chinese.
const GLOSS = /\s*\(([^()]*)\)\s*$/
const CJK = /[\u3400-\u9fff]/

export function reasonText(reason: string): string {
  const gloss = GLOSS.exec(reason)
  if (gloss && CJK.test(reason.slice(0, gloss.index))) return reason.slice(0, gloss.index).trim()
  return reason.trim()
}

/** The bad rows of a dry run, each with its cells and its bad columns marked, in row order. */
export function markedRows(report: Pick<RosterReport, 'problems'>, table: RosterTable | null): MarkedRow[] {
  const byRow = new Map<number, MarkedRow>()
  const cellsOf = new Map((table?.rows ?? []).map((r) => [r.row, r.cells]))
  for (const problem of report.problems) {
    let marked = byRow.get(problem.row)
    if (!marked) {
      marked = { row: problem.row, cells: cellsOf.get(problem.row) ?? {}, bad: {} }
      byRow.set(problem.row, marked)
    }
    const reasons = (marked.bad[problem.column] ??= [])
    const text = reasonText(problem.reason)
    if (!reasons.includes(text)) reasons.push(text)
  }
  return [...byRow.values()].sort((a, b) => a.row - b.row)
}

/** The columns the dry-run table shows: the file's own (when read), then any other bad column. */
export function shownColumns(table: RosterTable | null, rows: readonly MarkedRow[]): string[] {
  const columns = [...(table?.columns ?? [])]
  for (const row of rows) for (const column of Object.keys(row.bad)) if (!columns.includes(column)) columns.push(column)
  if (table) return columns
  // without the file's cells, the required columns first, then the bad ones in the roster's order
  const order = ROSTER_COLUMNS as readonly string[]
  return columns.sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99))
}

/** The file's rows that are good, as a count (a dry run reports the bad ones). */
export function goodRows(report: Pick<RosterReport, 'rows' | 'bad_rows'>): number {
  return Math.max(0, report.rows - report.bad_rows)
}

/** A committable dry run: every row good, and at least one row. */
export function committable(report: RosterReport | null): boolean {
  return Boolean(report && report.rows > 0 && report.bad_rows === 0 && report.problems.length === 0)
}

/** The report of a refused commit (422 roster-rejected): its errors are "row N: 列" with a reason. */
export function rejectedProblems(errors: ReadonlyArray<{ field: string; message: string }>): RowProblem[] {
  const found: RowProblem[] = []
  for (const error of errors) {
    const match = /^row (\d+): (.+)$/.exec(error.field)
    if (match) found.push({ row: Number(match[1]), column: match[2] ?? '', reason: error.message })
  }
  return found
}

/** The CSV's cells with every row that names no class put in `className`, the 班级 column added
 * when the file has none: a class's own roster often has no such column, and the page lets the
 * admin choose the class instead. Blank rows stay blank (the registry skips them). */
export function intoClass(table: readonly string[][], className: string): string[][] {
  const [header = [], ...body] = table
  let at = header.findIndex((cell) => cell.trim() === '班级')
  const head = [...header]
  if (at < 0) {
    at = head.length
    head.push('班级')
  }
  const rows = body.map((line) => {
    if (!line.some((cell) => cell.trim())) return [...line]
    const row = [...line]
    while (row.length <= at) row.push('')
    if (!(row[at] ?? '').trim()) row[at] = className
    return row
  })
  return [head, ...rows]
}

/** CSV text (RFC 4180, CRLF rows), each cell quoted when it needs to be. */
export function toCsv(table: readonly string[][]): string {
  const cell = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value)
  return table.map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n'
}
