// The letters' rules (致家长的一封信: LettersPage, LetterDetail), kept free of the DOM so that they
// are unit-tested: the audience a form names, the letter the API is sent (its zh-CN text and one
// per other language), the school's letters as notifications lists them, and who has and has not
// confirmed.

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
  /** The letter's words in another language: its guardians read these, the others zh-CN's. */
  texts?: Partial<Record<OtherLanguage, LetterText>>
  essential: boolean
  confirmation: ConfirmationMode
}

export interface LetterText {
  title: string
  body: string
}

/** The languages other than zh-CN a letter may have a text in (notifications' templates). */
export const OTHER_LANGUAGES = ['en'] as const
export type OtherLanguage = (typeof OTHER_LANGUAGES)[number]

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
  languages?: string[]
}

/** notifications LetterListed: one of the school's letters, its words and counts. */
export interface ListedLetter {
  announcement_id: string
  title: string
  languages: string[]
  audience: { kind: string; grade: number | null; class_ids: string[]; care_category: string | null; guardians: number | null }
  template: string
  confirmation: ConfirmationMode
  created_at: string
  recipients: number
  reached: number
  confirmed: number
  failed: number
  status_counts: Record<string, number>
}

/** notifications Confirmations */
export interface Confirmations {
  confirmation: ConfirmationMode
  students: number
  confirmed: number
  pending: { student_id: string; pending_guardian_ids: string[] }[]
}

/** notifications LetterMessage: one guardian's message of a letter (`GET /v1/announcements/{id}/messages`,
 * the letter's own messages, not its reminders). */
export interface LetterMessage {
  message_id: string
  recipient_id: string
  student_ids: string[]
  subject: string
  body: string
  status: string
  channel: string | null
  created_at: string
  sent_at: string | null
  delivered_at: string | null
  read_at: string | null
  confirmation_required: boolean
  confirmed_at: string | null
  failure_reason: string | null
}

export interface LetterForm {
  kind: AudienceKind
  grade: number | null
  classIds: string[]
  title: string
  body: string
  /** The optional text per other language; left empty, its guardians read the zh-CN one. */
  translations: Record<OtherLanguage, LetterText>
  essential: boolean
  confirmation: ConfirmationMode
}

export const TITLE_MAX = 60
export const BODY_MAX = 1000

export function emptyLetterForm(): LetterForm {
  return {
    kind: 'class',
    grade: null,
    classIds: [],
    title: '',
    body: '',
    translations: { en: { title: '', body: '' } },
    essential: true,
    confirmation: 'any_guardian',
  }
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

/** The other languages the letter has words in: those whose title or body is filled in. */
export function translated(form: Pick<LetterForm, 'translations'>): OtherLanguage[] {
  return OTHER_LANGUAGES.filter((l) => form.translations[l].title.trim() || form.translations[l].body.trim())
}

/** What the form lacks before the letter can be previewed (audience; a started translation's
 * title) or sent (the zh-CN text too). A translation's errors are keyed `<language>.<field>`. */
export function letterErrors(form: LetterForm, forSending: boolean): Record<string, string> {
  const errors = { ...audienceOf(form).errors }
  for (const language of translated(form)) {
    const text = form.translations[language]
    if (!text.title.trim()) errors[`${language}.title`] = 'letters.error.title'
    else if (text.title.trim().length > TITLE_MAX) errors[`${language}.title`] = 'letters.error.titleLong'
    if (text.body.trim().length > BODY_MAX) errors[`${language}.body`] = 'letters.error.bodyLong'
  }
  if (!forSending) return errors
  if (!form.title.trim()) errors.title = 'letters.error.title'
  else if (form.title.trim().length > TITLE_MAX) errors.title = 'letters.error.titleLong'
  if (!form.body.trim()) errors.body = 'letters.error.body'
  else if (form.body.trim().length > BODY_MAX) errors.body = 'letters.error.bodyLong'
  return errors
}

/** The form's field a problem's field names (`body.texts.en.title` → `en.title`). */
export function formField(field: string): string | null {
  const name = field.split('.')
  const text = name.indexOf('texts')
  if (text >= 0 && name[text + 1]) {
    const language = name[text + 1] ?? ''
    if (language === 'zh-CN') return name[text + 2] ?? 'title'
    return (OTHER_LANGUAGES as readonly string[]).includes(language) ? `${language}.${name[text + 2] ?? 'title'}` : 'texts'
  }
  const last = name[name.length - 1] ?? ''
  return ({ class_ids: 'classIds', grade: 'grade', title: 'title', body: 'body', audience: 'kind' } as Record<string, string>)[last] ?? null
}

/** The letter as notifications takes it. A preview before the text is written shows the frame each
 * language's guardians get, with placeholders where the title and body will go. */
export function letterRequest(schoolId: string, form: LetterForm, placeholders?: { title: string; body: string }): LetterRequest {
  const { audience } = audienceOf(form)
  if (!audience) throw new Error('the audience is incomplete')
  const request: LetterRequest = {
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
  const languages = translated(form)
  if (languages.length) {
    request.texts = Object.fromEntries(
      languages.map((l) => [l, { title: form.translations[l].title.trim(), body: form.translations[l].body.trim() }]),
    )
  }
  return request
}

export interface LetterRow {
  announcementId: string
  title: string
  languages: string[]
  audience: ListedLetter['audience']
  createdAt: string
  guardians: number
  reached: number
  confirmationRequired: boolean
  confirmed: number
  failed: number
}

/** The school's letters as notifications lists them (newest first), in the table's terms. */
export function letterRows(letters: readonly ListedLetter[]): LetterRow[] {
  return letters.map((l) => ({
    announcementId: l.announcement_id,
    title: l.title,
    languages: l.languages,
    audience: l.audience,
    createdAt: l.created_at,
    guardians: l.recipients,
    reached: l.reached,
    confirmationRequired: l.confirmation !== 'none',
    confirmed: l.confirmed,
    failed: l.failed,
  }))
}

/** Whom a letter went to, as an i18n key and its values: the whole school, a grade, N classes … */
export function audienceText(
  audience: ListedLetter['audience'],
  classNames: Record<string, string>,
): { key: string; values: Record<string, string | number> } {
  if (audience.kind === 'grade') return { key: 'letters.audienceOf.grade', values: { grade: audience.grade ?? '' } }
  if (audience.kind === 'class') {
    return { key: 'letters.audienceOf.class', values: { classes: audience.class_ids.map((c) => classNames[c] ?? c).join('、') } }
  }
  if (audience.kind === 'guardians') return { key: 'letters.audienceOf.guardians', values: { n: audience.guardians ?? 0 } }
  if (audience.kind === 'care_category') return { key: 'letters.audienceOf.care_category', values: { category: audience.care_category ?? '' } }
  return { key: `letters.audienceOf.${audience.kind === 'district' ? 'district' : 'school'}`, values: {} }
}

/** The letter's own words from a guardian's message: without its last line, the link to that
 * guardian's message page ("请阅读后点击确认：https://…/messages/<id>"). */
export function letterText(body: string): string {
  const lines = body.split('\n')
  const last = lines[lines.length - 1] ?? ''
  return (/https?:\/\//.test(last) ? lines.slice(0, -1) : lines).join('\n').trim()
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
