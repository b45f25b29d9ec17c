// The bureau's bulletin (通报) page rules, free of the DOM so that they are unit-tested: where each
// format downloads from, what a revision changed (each figure as people read it, with the school's
// name), and which disputes still wait for a decision.

import { measureFigure, type RankedSchool } from './dashboard'

// Reporting's shapes (services/reporting/openapi.json), only the fields shown.

/** reporting BulletinDocument */
export interface BulletinDocument {
  month: string
  term: string
  as_of: string
  weights: Record<string, number>
  ranking: RankedSchool[]
  silent_schools: string[]
  completeness: { schools: number; submitted: number; on_time: number; completeness: number; timeliness: number }
}

/** reporting FigureChange: ``from`` and ``to`` as reporting names them */
export interface FigureChange {
  school_id: string
  figure: string
  from: number | null
  to: number | null
}

/** reporting BulletinRevision (GET /v1/bulletins/{month}/revisions) */
export interface BulletinRevision {
  revision: number
  published_at: string
  reason: string | null
  changes: FigureChange[]
}

/** reporting Bulletin (GET /v1/bulletins/{month}) */
export interface Bulletin extends BulletinRevision {
  month: string
  document: BulletinDocument
}

export type DisputeStatus = 'open' | 'accepted' | 'rejected'

/** reporting's dispute (GET /v1/bulletins/{month}/disputes) */
export interface Dispute {
  dispute_id: string
  month: string
  school_id: string
  figure: string
  reason: string
  revision: number
  status: DisputeStatus
  raised_by: string
  decided_note?: string | null
  decided_revision?: number | null
}

export type BulletinFormat = 'html' | 'xlsx' | 'csv'

/** The portal's address of one format of a revision; the gateway passes reporting's
 * content-disposition on, so XLSX and CSV download under reporting's file name. */
export function formatLink(month: string, format: BulletinFormat, revision?: number | null): string {
  const query = new URLSearchParams({ format })
  if (revision) query.set('revision', String(revision))
  return `/api/reporting/v1/bulletins/${encodeURIComponent(month)}?${query.toString()}`
}

/** The bulletin's school names by id (its ranking names every school of the district). */
export function schoolNames(document: BulletinDocument | null | undefined): Record<string, string> {
  const names: Record<string, string> = {}
  for (const row of document?.ranking ?? []) names[row.school_id] = row.name
  return names
}

/** A figure of a bulletin: the score with one decimal, a rate as a percentage, a count as it is. */
export function figureValue(figure: string, value: number | null | undefined): string {
  if (figure === 'score') return value === null || value === undefined ? '—' : value.toFixed(1)
  return measureFigure(figure, value)
}

export interface ChangeRow {
  school: string
  figure: string
  before: string
  after: string
}

/** What a revision changed, one row per figure that moved, the school by name when known. */
export function changeRows(changes: FigureChange[], names: Record<string, string>): ChangeRow[] {
  return changes.map((c) => ({
    school: names[c.school_id] ?? c.school_id,
    figure: c.figure,
    before: figureValue(c.figure, c.from),
    after: figureValue(c.figure, c.to),
  }))
}

/** The disputes still waiting for the bureau first, then the settled ones, each group by school. */
export function orderedDisputes(disputes: Dispute[], names: Record<string, string>): Dispute[] {
  const name = (d: Dispute) => names[d.school_id] ?? d.school_id
  return [...disputes].sort(
    (a, b) => Number(b.status === 'open') - Number(a.status === 'open') || name(a).localeCompare(name(b), 'zh-CN'),
  )
}

/** A decision's note: required, at most 500 characters (reporting's rule); the message key when not. */
export function noteProblem(note: string): 'bulletin.noteRequired' | 'bulletin.noteTooLong' | null {
  const text = note.trim()
  if (!text) return 'bulletin.noteRequired'
  if (text.length > 500) return 'bulletin.noteTooLong'
  return null
}
