import { describe, expect, it } from 'vitest'
import { changeRows, figureValue, formatLink, noteProblem, orderedDisputes, schoolNames, type BulletinDocument, type Dispute } from '../../src/lib/console/bulletin'

const document: BulletinDocument = {
  month: '2026-10', term: '2026-2027-autumn', as_of: '2026-10-31', weights: {}, silent_schools: [],
  completeness: { schools: 2, submitted: 1, on_time: 1, completeness: 0.5, timeliness: 0.5 },
  ranking: [
    { rank: 1, school_id: 'sch-9', name: '叶城县第九小学', score: 80, measures: {}, statuses: {} },
    { rank: 2, school_id: 'sch-ls', name: '良舍小学', score: 60, measures: {}, statuses: {} },
  ],
}

function dispute(id: string, school_id: string, status: Dispute['status']): Dispute {
  return { dispute_id: id, month: '2026-10', school_id, figure: 'home_visit_coverage', reason: '迟报', revision: 1, status, raised_by: 'stf-1' }
}

describe('the bulletin page', () => {
  it('downloads each format of a revision from the portal', () => {
    expect(formatLink('2026-10', 'xlsx', 2)).toBe('/api/reporting/v1/bulletins/2026-10?format=xlsx&revision=2')
    expect(formatLink('2026-10', 'html')).toBe('/api/reporting/v1/bulletins/2026-10?format=html')
  })
  it("shows what a revision changed with the school's name and each figure as people read it", () => {
    const rows = changeRows(
      [
        { school_id: 'sch-ls', figure: 'home_visit_coverage', from: 0.3333, to: 0.5 },
        { school_id: 'sch-ls', figure: 'score', from: 60, to: 64.25 },
        { school_id: 'sch-new', figure: 'class_parent_meetings_per_term', from: null, to: 2 },
      ],
      schoolNames(document),
    )
    expect(rows).toEqual([
      { school: '良舍小学', figure: 'home_visit_coverage', before: '33.3%', after: '50%' },
      { school: '良舍小学', figure: 'score', before: '60.0', after: '64.3' },
      { school: 'sch-new', figure: 'class_parent_meetings_per_term', before: '—', after: '2' },
    ])
    expect(figureValue('score', null)).toBe('—')
  })
  it('puts the disputes waiting for a decision first', () => {
    const listed = orderedDisputes(
      [dispute('d1', 'sch-9', 'rejected'), dispute('d2', 'sch-ls', 'open'), dispute('d3', 'sch-9', 'open')],
      schoolNames(document),
    )
    // open first; within a group by the school's name as Chinese sorts it (良 liáng before 叶 yè)
    expect(listed.map((d) => d.dispute_id)).toEqual(['d2', 'd3', 'd1'])
  })
  it('asks for a note of at most 500 characters before a decision', () => {
    expect(noteProblem('  ')).toBe('bulletin.noteRequired')
    expect(noteProblem('x'.repeat(501))).toBe('bulletin.noteTooLong')
    expect(noteProblem('核实无误，予以补录')).toBeNull()
  })
})
