import { describe, expect, it } from 'vitest'
import {
  agreementErrors,
  agreementRequest,
  agreementRows,
  committeeErrors,
  committeeRequest,
  electable,
  emptyAgreementForm,
  emptyPartnerForm,
  partnerErrors,
  partnerRequest,
  reviewDue,
  type Agreement,
  type Committee,
  type Partner,
} from '../../src/lib/console/meetingsOrganisation'

const agreement = (id: string, changes: Partial<Agreement>): Agreement => ({
  agreement_id: id,
  partner_id: 'ptn-1',
  school_id: 'sch-1',
  title: '警校共建协议书',
  starts_on: '2026-09-01',
  ends_on: '2027-08-31',
  commitments: [],
  signed_on: '2026-09-01',
  status: 'active',
  year_end_review: null,
  version: 1,
  ...changes,
})

describe('partners', () => {
  it("are registry's PartnerCreate, the phone as digits", () => {
    const form = { name: ' 文化路派出所 ', kind: 'police_station' as const, contactPerson: ' 王警官 ', contactPhone: '+86 139-0000-1111' }
    expect(partnerErrors(form)).toEqual({})
    expect(partnerRequest(form)).toEqual({ name: '文化路派出所', kind: 'police_station', contact_person: '王警官', contact_phone: '13900001111' })
    expect(partnerRequest({ ...form, contactPhone: ' ' }).contact_phone).toBeNull()
  })

  it('say what is missing', () => {
    expect(partnerErrors({ ...emptyPartnerForm(), contactPhone: '12345' })).toEqual({
      name: 'organisation.error.partnerName',
      contact_person: 'organisation.error.contactPerson',
      contact_phone: 'organisation.error.phone',
    })
  })
})

describe('agreements', () => {
  const form = { partnerId: 'ptn-1', title: '警校共建协议书', startsOn: '2026-09-01', endsOn: '2027-08-31', commitments: '法治课每学期两次\n\n 护学岗 ', signedOn: '' }

  it("are registry's AgreementCreate, a draft until signed", () => {
    expect(agreementErrors(form)).toEqual({})
    expect(agreementRequest(form)).toEqual({
      title: '警校共建协议书',
      starts_on: '2026-09-01',
      ends_on: '2027-08-31',
      commitments: ['法治课每学期两次', '护学岗'],
      signed_on: null,
    })
    expect(agreementRequest({ ...form, signedOn: '2026-09-02' }).signed_on).toBe('2026-09-02')
  })

  it('end after they start', () => {
    expect(agreementErrors({ ...form, endsOn: '2026-09-01' })).toEqual({ ends_on: 'organisation.error.endsBefore' })
    expect(agreementErrors(emptyAgreementForm())).toEqual({
      partner_id: 'organisation.error.partner',
      title: 'organisation.error.agreementTitle',
      starts_on: 'organisation.error.startsOn',
      ends_on: 'organisation.error.endsOn',
    })
  })

  it('are due a year-end review once signed', () => {
    expect(reviewDue(agreement('a', {}))).toBe(true)
    expect(reviewDue(agreement('a', { year_end_review: '完成良好' }))).toBe(false)
    expect(reviewDue(agreement('a', { status: 'draft' }))).toBe(false)
  })

  it("list with their partner's name, active first", () => {
    const partners: Partner[] = [
      { partner_id: 'ptn-1', school_id: 'sch-1', name: '文化路派出所', kind: 'police_station', contact_person: null, contact_phone: null, version: 1 },
    ]
    const rows = agreementRows(
      [agreement('ended', { status: 'ended' }), agreement('draft', { status: 'draft' }), agreement('active', { partner_id: 'ptn-9' })],
      partners,
    )
    expect(rows.map((r) => [r.agreement_id, r.partnerName])).toEqual([
      ['active', 'ptn-9'],
      ['draft', '文化路派出所'],
      ['ended', '文化路派出所'],
    ])
  })
})

describe('parent committees', () => {
  const classCommittee = (id: string, classId: string, guardians: string[]): Committee => ({
    committee_id: id,
    school_id: 'sch-1',
    level: 'class',
    class_id: classId,
    members: guardians.map((g) => ({ guardian_id: g, role: '委员' })),
    member_count: guardians.length,
    version: 1,
  })
  const committees = [classCommittee('k1', 'c-1', ['g-1', 'g-2']), classCommittee('k2', 'c-2', ['g-7'])]

  it('of a class have 5–7 of its guardians, the first chairing it', () => {
    const five = ['g-1', 'g-2', 'g-3', 'g-4', 'g-5']
    expect(committeeErrors({ level: 'class', classId: 'c-1', members: five }, [])).toEqual({})
    expect(committeeErrors({ level: 'class', classId: '', members: five.slice(0, 4) }, [])).toEqual({
      class_id: 'organisation.error.committeeClass',
      members: 'organisation.error.classCommitteeSize',
    })
    expect(committeeRequest({ level: 'class', classId: 'c-1', members: ['g-3', 'g-1'] })).toEqual({
      level: 'class',
      class_id: 'c-1',
      members: [
        { guardian_id: 'g-3', role: '主任' },
        { guardian_id: 'g-1', role: '委员' },
      ],
    })
  })

  it("of the school have one member of each class committee", () => {
    expect(electable(committees)).toEqual([
      { guardianId: 'g-1', classId: 'c-1' },
      { guardianId: 'g-2', classId: 'c-1' },
      { guardianId: 'g-7', classId: 'c-2' },
    ])
    expect(committeeErrors({ level: 'school', classId: '', members: ['g-1', 'g-7'] }, committees)).toEqual({})
    expect(committeeErrors({ level: 'school', classId: '', members: ['g-1', 'g-2'] }, committees)).toEqual({ members: 'organisation.error.onePerClass' })
    expect(committeeErrors({ level: 'school', classId: '', members: ['g-9'] }, committees)).toEqual({ members: 'organisation.error.notElected' })
    expect(committeeRequest({ level: 'school', classId: 'c-1', members: ['g-1'] }).class_id).toBeNull()
  })
})
