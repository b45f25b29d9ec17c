// The letters' rules (致家长的一封信: LettersPage, LetterDetail), kept free of the DOM so that they
// are unit-tested: the audience a form names, the letter the API is sent, the school's letters as
// its messages show them, and who has and has not confirmed.

/** notifications Audience, as a school admin addresses one (the district is the bureau's). */
export type AudienceKind = 'school' | 'grade' | 'class'
export type ConfirmationMode = 'none' | 'any_guardian' | 'every_guardian'

export interface Audience {
  kind: AudienceKind
  grade?: number
  class_ids?: string[]
}

/** notifications AnnouncementCreate */
export interface LetterRequest {
  school_id: string
  audience: Audience
  template: 'announcement'
  variables: { title: string; body: string }
  essential: boolean
  confirmation: ConfirmationMode
}

/** notifications Preview: counts, and the letter as each language's guardians will read it. */
export interface LetterPreview {
  recipients: number
  students: number
  opted_out: number
  without_contact: number
  samples: Record<string, { subject: string; body: string }>
}

/** notifications AnnouncementPublic */
export interface AnnouncementSummary {
  announcement_id: string
  school_id: string | null
  template: string
  confirmation: ConfirmationMode
  recipients: number
  status_counts: Record<string, number>
  created_at: string
}

/** notifications Confirmations */
export interface Confirmations {
  confirmation: ConfirmationMode
  students: number
  confirmed: number
  pending: { student_id: string; pending_guardian_ids: string[] }[]
}

/** notifications MessagePublic, the fields the letters read. */
export interface LetterMessage {
  message_id: string
  recipient_kind: string
  recipient_id: string
  student_ids: string[]
  purpose: string
  subject: string
  body: string
  status: string
  created_at: string
  sent_at?: string | null
  confirmation_required: boolean
  confirmed_at: string | null
  failure_reason?: string | null
}

export interface LetterForm {
  kind: AudienceKind
  grade: number | null
  classIds: string[]
  title: string
  body: string
  essential: boolean
  confirmation: ConfirmationMode
}

export const TITLE_MAX = 60
export const BODY_MAX = 1000

export function emptyLetterForm(): LetterForm {
  return { kind: 'class', grade: null, classIds: [], title: '', body: '', essential: true, confirmation: 'any_guardian' }
}

/** The audience the form names; a field it lacks as an i18n key under the field's name. */
export function audienceOf(form: Pick<LetterForm, 'kind' | 'grade' | 'classIds'>): { audience?: Audience; errors: Record<string, string> } {
  if (form.kind === 'grade') {
    if (!form.grade) return { errors: { grade: 'letters.error.grade' } }
    return { audience: { kind: 'grade', grade: form.grade }, errors: {} }
  }
  if (form.kind === 'class') {
    if (!form.classIds.length) return { errors: { classIds: 'letters.error.classes' } }
    return { audience: { kind: 'class', class_ids: [...form.classIds] }, errors: {} }
  }
  return { audience: { kind: 'school' }, errors: {} }
}

/** What the form lacks before the letter can be previewed (audience) or sent (its text too). */
export function letterErrors(form: LetterForm, forSending: boolean): Record<string, string> {
  const errors = { ...audienceOf(form).errors }
  if (!forSending) return errors
  if (!form.title.trim()) errors.title = 'letters.error.title'
  else if (form.title.trim().length > TITLE_MAX) errors.title = 'letters.error.titleLong'
  if (!form.body.trim()) errors.body = 'letters.error.body'
  else if (form.body.trim().length > BODY_MAX) errors.body = 'letters.error.bodyLong'
  return errors
}

/** The letter as notifications takes it. A preview before the text is written shows the frame each
 * language's guardians get, with placeholders where the title and body will go. */
export function letterRequest(schoolId: string, form: LetterForm, placeholders?: { title: string; body: string }): LetterRequest {
  const { audience } = audienceOf(form)
  if (!audience) throw new Error('the audience is incomplete')
  return {
    school_id: schoolId,
    audience,
    template: 'announcement',
    variables: {
      title: form.title.trim() || placeholders?.title || '',
      body: form.body.trim() || placeholders?.body || '',
    },
    essential: form.essential,
    confirmation: form.confirmation,
  }
}

// A letter's messages are named `<announcement id>-<guardian id>` (notifications' message_id), and
// its reminders `<announcement id>-r<round>-<guardian id>`: the school's messages list is the only
// place notifications lists a school's letters, so they are gathered from it by that name.
const LETTER_ID = /^(ann-[0-9a-f]+)-(?!r\d+-)/

export function letterIdOf(message: Pick<LetterMessage, 'message_id' | 'purpose'>): string | null {
  if (message.purpose !== 'announcement') return null
  return LETTER_ID.exec(message.message_id)?.[1] ?? null
}

export interface LetterRow {
  announcementId: string
  /** The letter's subject as guardians see it (【学校】标题). */
  subject: string
  createdAt: string
  guardians: number
  confirmationRequired: boolean
  confirmed: number
  failed: number
}

/** The school's letters, newest first, from its messages. */
export function lettersFrom(messages: readonly LetterMessage[]): LetterRow[] {
  const rows = new Map<string, LetterRow>()
  for (const message of messages) {
    const id = letterIdOf(message)
    if (!id) continue
    const row = rows.get(id) ?? {
      announcementId: id,
      subject: message.subject,
      createdAt: message.created_at,
      guardians: 0,
      confirmationRequired: message.confirmation_required,
      confirmed: 0,
      failed: 0,
    }
    // guardians with a Chinese message name the letter in Chinese
    if (message.subject.startsWith('【') && !row.subject.startsWith('【')) row.subject = message.subject
    if (message.created_at < row.createdAt) row.createdAt = message.created_at
    row.guardians += 1
    if (message.confirmed_at) row.confirmed += 1
    if (message.status === 'failed') row.failed += 1
    rows.set(id, row)
  }
  return [...rows.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.announcementId.localeCompare(b.announcementId))
}

/** The letter's own words from a guardian's message: without its last line, the link to that
 * guardian's message page ("请阅读后点击确认：https://…/messages/<id>"). */
export function letterText(body: string): string {
  const lines = body.split('\n')
  const last = lines[lines.length - 1] ?? ''
  return (/https?:\/\//.test(last) ? lines.slice(0, -1) : lines).join('\n').trim()
}

/** The messages of one letter (not its reminders). */
export function messagesOf(messages: readonly LetterMessage[], announcementId: string): LetterMessage[] {
  return messages.filter((m) => letterIdOf(m) === announcementId)
}

/** notifications' message statuses, in the order a message moves through them. */
export const DELIVERY_STATUSES = ['queued', 'sent', 'delivered', 'read', 'failed', 'cancelled'] as const
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number]

export function deliveryRows(counts: Record<string, number>): { status: string; count: number }[] {
  const known = DELIVERY_STATUSES.filter((s) => counts[s]).map((s) => ({ status: s as string, count: counts[s] ?? 0 }))
  const other = Object.keys(counts)
    .filter((s) => !(DELIVERY_STATUSES as readonly string[]).includes(s) && counts[s])
    .sort()
    .map((s) => ({ status: s, count: counts[s] ?? 0 }))
  return [...known, ...other]
}

export interface GuardianRow {
  guardianId: string
  guardianName: string
  studentNames: string
  status: string
  confirmedAt: string | null
  /** Still to confirm, as notifications counts it (the student's confirmation is missing). */
  pending: boolean
}

/** Each guardian the letter went to: their child, the message's status, and whether they are among
 * those notifications still waits for. Names where the registry let the school admin read them,
 * the id otherwise. */
export function guardianRows(
  messages: readonly LetterMessage[],
  confirmations: Confirmations | null,
  guardianNames: Record<string, string>,
  studentNames: Record<string, string>,
): GuardianRow[] {
  const waiting = new Set((confirmations?.pending ?? []).flatMap((p) => p.pending_guardian_ids))
  const rows = messages.map((m) => ({
    guardianId: m.recipient_id,
    guardianName: guardianNames[m.recipient_id] ?? m.recipient_id,
    studentNames: m.student_ids.map((s) => studentNames[s] ?? s).join('、'),
    status: m.status,
    confirmedAt: m.confirmed_at,
    pending: waiting.has(m.recipient_id),
  }))
  // those still waited for first: the ones a school admin acts on
  return rows.sort((a, b) => Number(b.pending) - Number(a.pending) || a.studentNames.localeCompare(b.studentNames, 'zh-CN'))
}

/** Students still to confirm for, named. */
export function pendingStudents(confirmations: Confirmations | null, studentNames: Record<string, string>): string[] {
  return (confirmations?.pending ?? []).map((p) => studentNames[p.student_id] ?? p.student_id)
}

/** The distinct guardians a reminder would go to. */
export function pendingGuardians(confirmations: Confirmations | null): number {
  return new Set((confirmations?.pending ?? []).flatMap((p) => p.pending_guardian_ids)).size
}
