// The school's organisation (OrganisationPage): community partners (共建单位), their co-building
// agreements (共建协议) with the year-end review saved against the version the page read, and the
// parent committees (家长委员会) at class and school level. Kept free of the DOM, unit-tested.

import { isMobile, normalisePhone } from '../validation'

export const PARTNER_KINDS = ['community_committee', 'police_station', 'enterprise', 'village', 'health_centre', 'ngo'] as const
export type PartnerKind = (typeof PARTNER_KINDS)[number]
export type AgreementStatus = 'draft' | 'active' | 'ended'

/** registry PartnerPublic */
export interface Partner {
  partner_id: string
  school_id: string
  name: string
  kind: PartnerKind
  contact_person: string | null
  contact_phone: string | null
  version: number
}

/** registry AgreementPublic */
export interface Agreement {
  agreement_id: string
  partner_id: string
  school_id: string
  title: string
  starts_on: string
  ends_on: string
  commitments: string[]
  signed_on: string | null
  status: AgreementStatus
  year_end_review: string | null
  version: number
}

export interface CommitteeMember {
  guardian_id: string
  role: string
}

/** registry CommitteePublic */
export interface Committee {
  committee_id: string
  school_id: string
  level: 'class' | 'school'
  class_id: string | null
  members: CommitteeMember[] | null
  member_count: number
  version: number
}

export interface PartnerForm {
  name: string
  kind: PartnerKind
  contactPerson: string
  contactPhone: string
}

export function emptyPartnerForm(): PartnerForm {
  return { name: '', kind: 'community_committee', contactPerson: '', contactPhone: '' }
}

export function partnerErrors(form: PartnerForm): Record<string, string> {
  const errors: Record<string, string> = {}
  const name = form.name.trim()
  if (name.length < 2 || name.length > 60) errors.name = 'organisation.error.partnerName'
  const person = form.contactPerson.trim()
  if (!person || person.length > 30) errors.contact_person = 'organisation.error.contactPerson'
  if (form.contactPhone.trim() && !isMobile(form.contactPhone)) errors.contact_phone = 'organisation.error.phone'
  return errors
}

/** registry PartnerCreate */
export function partnerRequest(form: PartnerForm) {
  const phone = form.contactPhone.trim()
  return {
    name: form.name.trim(),
    kind: form.kind,
    contact_person: form.contactPerson.trim(),
    contact_phone: phone ? normalisePhone(phone) : null,
  }
}

export interface AgreementForm {
  partnerId: string
  title: string
  startsOn: string
  endsOn: string
  /** one commitment a line */
  commitments: string
  /** empty: not signed yet (a draft) */
  signedOn: string
}

export function emptyAgreementForm(): AgreementForm {
  return { partnerId: '', title: '', startsOn: '', endsOn: '', commitments: '', signedOn: '' }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/

export function agreementErrors(form: AgreementForm): Record<string, string> {
  const errors: Record<string, string> = {}
  if (!form.partnerId) errors.partner_id = 'organisation.error.partner'
  const title = form.title.trim()
  if (title.length < 2 || title.length > 80) errors.title = 'organisation.error.agreementTitle'
  if (!DAY.test(form.startsOn)) errors.starts_on = 'organisation.error.startsOn'
  if (!DAY.test(form.endsOn)) errors.ends_on = 'organisation.error.endsOn'
  else if (DAY.test(form.startsOn) && form.endsOn <= form.startsOn) errors.ends_on = 'organisation.error.endsBefore'
  if (form.signedOn && !DAY.test(form.signedOn)) errors.signed_on = 'organisation.error.signedOn'
  if (commitmentsOf(form.commitments).length > 30) errors.commitments = 'organisation.error.commitments'
  return errors
}

function commitmentsOf(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
}

/** registry AgreementCreate */
export function agreementRequest(form: AgreementForm) {
  return {
    title: form.title.trim(),
    starts_on: form.startsOn,
    ends_on: form.endsOn,
    commitments: commitmentsOf(form.commitments),
    signed_on: form.signedOn || null,
  }
}

export const REVIEW_MAX = 2000

/** An agreement's year is due for its review once it is active (signed) and has none yet. */
export function reviewDue(agreement: Pick<Agreement, 'status' | 'year_end_review'>): boolean {
  return agreement.status !== 'draft' && !agreement.year_end_review
}

/** Agreements with their partner's name, active ones first, then by start. */
export function agreementRows(agreements: readonly Agreement[], partners: readonly Partner[]) {
  const names = new Map(partners.map((p) => [p.partner_id, p.name]))
  const order: Record<AgreementStatus, number> = { active: 0, draft: 1, ended: 2 }
  return [...agreements]
    .map((a) => ({ ...a, partnerName: names.get(a.partner_id) ?? a.partner_id }))
    .sort((a, b) => order[a.status] - order[b.status] || b.starts_on.localeCompare(a.starts_on) || a.agreement_id.localeCompare(b.agreement_id))
}

// Parent committees -------------------------------------------------------------------------

export const CLASS_COMMITTEE_MIN = 5
export const CLASS_COMMITTEE_MAX = 7

export interface CommitteeForm {
  level: 'class' | 'school'
  classId: string
  /** guardian ids, in the order chosen; the first chairs it (主任) */
  members: string[]
}

export function emptyCommitteeForm(): CommitteeForm {
  return { level: 'class', classId: '', members: [] }
}

/** The guardians a school committee is elected from: each class committee's members, with the class. */
export function electable(committees: readonly Committee[]): { guardianId: string; classId: string }[] {
  return committees
    .filter((c) => c.level === 'class' && c.class_id)
    .flatMap((c) => (c.members ?? []).map((m) => ({ guardianId: m.guardian_id, classId: c.class_id as string })))
}

export function committeeErrors(form: CommitteeForm, committees: readonly Committee[]): Record<string, string> {
  const errors: Record<string, string> = {}
  if (form.level === 'class') {
    if (!form.classId) errors.class_id = 'organisation.error.committeeClass'
    if (form.members.length < CLASS_COMMITTEE_MIN || form.members.length > CLASS_COMMITTEE_MAX) {
      errors.members = 'organisation.error.classCommitteeSize'
    }
    return errors
  }
  if (!form.members.length) {
    errors.members = 'organisation.error.schoolCommitteeEmpty'
    return errors
  }
  const from = new Map(electable(committees).map((e) => [e.guardianId, e.classId]))
  const classes = form.members.map((id) => from.get(id))
  if (classes.some((c) => c === undefined)) errors.members = 'organisation.error.notElected'
  else if (new Set(classes).size !== classes.length) errors.members = 'organisation.error.onePerClass'
  return errors
}

/** registry CommitteeCreate: the first member chairs it (主任), the others are members (委员). */
export function committeeRequest(form: CommitteeForm) {
  return {
    level: form.level,
    class_id: form.level === 'class' ? form.classId : null,
    members: form.members.map((guardianId, index) => ({ guardian_id: guardianId, role: index === 0 ? '主任' : '委员' })),
  }
}
