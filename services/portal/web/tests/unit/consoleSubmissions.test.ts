import { describe, expect, it } from 'vitest'
import {
  bulletinMonths,
  deadlineOf,
  disputeError,
  figureName,
  monthEnded,
  monthRows,
  schoolFigures,
  submissionBody,
  timelinessKey,
  type Bulletin,
  type Submission,
} from '../../src/lib/console/reportSubmissions'

const october: Submission = {
  school_id: 'sch-1', month: '2026-10', kind: 'confirmed', reason: null,
  submitted_on: '2026-11-20', deadline: '2026-11-05', late: true,
}

describe('which months a school confirms', () => {
  it('takes a month once it has ended', () => {
    expect(monthEnded('2026-10', '2026-11-01')).toBe(true)
    expect(monthEnded('2026-11', '2026-11-30')).toBe(false)
    expect(monthEnded('2026-12', '2027-01-01')).toBe(true)
  })
  it("is due on the policy's day of the next month", () => {
    expect(deadlineOf('2026-10')).toBe('2026-11-05')
    expect(deadlineOf('2026-12', 10)).toBe('2027-01-10')
  })
  it("lists the school year's ended months, newest first, overdue ones marked", () => {
    const rows = monthRows('2026-11-20', [october])
    expect(rows.map((r) => [r.month, r.submission?.late ?? null, r.overdue, r.deadline])).toEqual([
      ['2026-10', true, false, '2026-11-05'],
      ['2026-09', null, true, '2026-10-05'],
    ])
    expect(monthRows('2026-10-03', []).map((r) => [r.month, r.overdue])).toEqual([['2026-09', false]])
  })
  it('asks a reason of a month with nothing to report', () => {
    expect(submissionBody('confirmed', '')).toEqual({ body: { kind: 'confirmed' } })
    expect(submissionBody('nothing_to_report', '  ')).toEqual({ error: 'submission.error.reason' })
    expect(submissionBody('nothing_to_report', ' 寒假 ')).toEqual({ body: { kind: 'nothing_to_report', reason: '寒假' } })
    expect(submissionBody('nothing_to_report', 'x'.repeat(301)).error).toBe('submission.error.reasonLong')
  })
  it('says late or on time as reporting judged it', () => {
    expect(timelinessKey(october)).toBe('submission.late')
    expect(timelinessKey({ late: false })).toBe('submission.onTime')
  })
})

describe("the bulletin's figures and disputes", () => {
  const bulletin: Bulletin = {
    month: '2026-10', revision: 1, published_at: '2026-11-06T01:00:00Z',
    document: {
      month: '2026-10', term: '2026-2027-autumn',
      ranking: [{
        rank: 2, school_id: 'sch-1', name: '叶城县第九小学', score: 71.25,
        measures: {
          open_days_per_term: { actual: 0, target: 1, status: 'at_risk' },
          home_visit_coverage: { actual: 0.5, target: 0.6667, status: 'on_track' },
        },
      }],
    },
  }
  it("looks for the latest bulletin from last month back", () => {
    expect(bulletinMonths('2026-11-20', 3)).toEqual(['2026-10', '2026-09', '2026-08'])
    expect(bulletinMonths('2027-01-03', 2)).toEqual(['2026-12', '2026-11'])
  })
  it("shows the school's score and measures, in Chinese, in the policy's order", () => {
    const found = schoolFigures(bulletin, 'sch-1')
    expect(found?.rank).toBe(2)
    expect(found?.rows.map((r) => [r.figure, r.name, r.actual, r.target])).toEqual([
      ['score', '综合得分', '71.3', ''],
      ['home_visit_coverage', '家访覆盖率', '50%', '66.7%'],
      ['open_days_per_term', '开放日次数', '0', '1'],
    ])
    expect(schoolFigures(bulletin, 'sch-other')).toBeNull()
    expect(figureName('guardian_contacts_per_month')).toBe('家长月度联系覆盖率')
  })
  it('asks for a figure and a reason before disputing', () => {
    expect(disputeError('', ' ')).toEqual({ figure: 'submission.error.figure', reason: 'submission.error.disputeReason' })
    expect(disputeError('score', '迟录')).toEqual({})
  })
})
