import { describe, expect, it } from 'vitest'
import { lettersEn, lettersZhCN } from '../../src/i18n/console/letters'
import {
  audienceOf,
  deliveryRows,
  emptyLetterForm,
  guardianRows,
  letterErrors,
  letterRequest,
  letterRows,
  letterText,
  audienceText,
  formField,
  pendingGuardians,
  type Confirmations,
  type LetterMessage,
  type ListedLetter,
} from '../../src/lib/console/letters'

function message(id: string, over: Partial<LetterMessage> = {}): LetterMessage {
  return {
    message_id: id, recipient_id: id.split('-').pop() ?? id, student_ids: [],
    subject: '【第九小学】冬季安全', body: '正文', status: 'sent', channel: 'sms',
    created_at: '2026-11-20T02:00:00Z', sent_at: '2026-11-20T02:00:05Z', delivered_at: null, read_at: null,
    confirmation_required: true, confirmed_at: null, failure_reason: null, ...over,
  }
}

describe("a letter's audience", () => {
  it('addresses the whole school, a grade or the classes chosen', () => {
    expect(audienceOf({ kind: 'school', grade: null, classIds: [] }).audience).toEqual({ kind: 'school' })
    expect(audienceOf({ kind: 'grade', grade: 3, classIds: [] }).audience).toEqual({ kind: 'grade', grade: 3 })
    expect(audienceOf({ kind: 'class', grade: null, classIds: ['c1', 'c2'] }).audience).toEqual({ kind: 'class', class_ids: ['c1', 'c2'] })
  })
  it('names the field a grade or class audience lacks', () => {
    expect(audienceOf({ kind: 'grade', grade: null, classIds: [] }).errors).toEqual({ grade: 'letters.error.grade' })
    expect(audienceOf({ kind: 'class', grade: null, classIds: [] }).errors).toEqual({ classIds: 'letters.error.classes' })
  })
  it('previews without a text but sends only with a title and a body', () => {
    const form = { ...emptyLetterForm(), classIds: ['c1'] }
    expect(letterErrors(form, false)).toEqual({})
    expect(letterErrors(form, true)).toEqual({ title: 'letters.error.title', body: 'letters.error.body' })
    expect(letterErrors({ ...form, title: '冬', body: 'x'.repeat(1001) }, true)).toEqual({ body: 'letters.error.bodyLong' })
  })
  it('sends notifications the announcement template with the text, essential flag and confirmation', () => {
    const form = { ...emptyLetterForm(), kind: 'school' as const, title: ' 冬季安全 ', body: '请注意', confirmation: 'every_guardian' as const }
    expect(letterRequest('sch-1', form)).toEqual({
      school_id: 'sch-1', audience: { kind: 'school' }, template: 'announcement',
      variables: { title: '冬季安全', body: '请注意' }, essential: true, confirmation: 'every_guardian',
    })
    expect(letterRequest('sch-1', { ...form, title: '' }, { title: '标题', body: '正文' }).variables.title).toBe('标题')
  })
})

describe("the letter's words", () => {
  it("leaves out the guardian's own link, keeping the school's text", () => {
    expect(letterText('天气转冷。\n请阅读后点击确认：https://portal/messages/ann-1-g1')).toBe('天气转冷。')
    expect(letterText('见 https://school.cn 的通知\n第二行')).toBe('见 https://school.cn 的通知\n第二行')
  })
})

describe("a letter's text in another language", () => {
  const form = { ...emptyLetterForm(), kind: 'school' as const, title: '冬季安全', body: '请注意' }
  it('sends an English text only when one is written, trimmed, beside the zh-CN variables', () => {
    expect(letterRequest('sch-1', form).texts).toBeUndefined()
    const english = { ...form, translations: { en: { title: ' Winter safety ', body: 'Mind the roads.' } } }
    expect(letterRequest('sch-1', english).texts).toEqual({ en: { title: 'Winter safety', body: 'Mind the roads.' } })
    expect(letterRequest('sch-1', english).variables).toEqual({ title: '冬季安全', body: '请注意' })
  })
  it('asks for the title of an English text begun without one, even before the preview', () => {
    const bodyOnly = { ...form, translations: { en: { title: ' ', body: 'Mind the roads.' } } }
    expect(letterErrors(bodyOnly, false)).toEqual({ 'en.title': 'letters.error.title' })
    expect(letterErrors(bodyOnly, true)).toEqual({ 'en.title': 'letters.error.title' })
  })
  it("puts the server's problem beside the field it names", () => {
    expect(formField('body.texts.en.title')).toBe('en.title')
    expect(formField('body.texts.zh-CN.title')).toBe('title')
    expect(formField('body.texts.fr')).toBe('texts')
    expect(formField('body.variables.title')).toBe('title')
    expect(formField('body.audience.class_ids')).toBe('classIds')
    expect(formField('body.school_id')).toBeNull()
  })
})

describe("the school's letters, as notifications lists them", () => {
  const listed: ListedLetter[] = [
    {
      announcement_id: 'ann-bbb222', title: '运动会', languages: ['zh-CN', 'en'],
      audience: { kind: 'class', grade: null, class_ids: ['c1', 'c9'], care_category: null, guardians: null },
      template: 'announcement', confirmation: 'any_guardian', created_at: '2026-11-21T02:00:00Z',
      recipients: 3, reached: 2, confirmed: 1, failed: 1, status_counts: { sent: 2, failed: 1 },
    },
  ]
  it('keeps their order and counts, and whether they ask for confirmation', () => {
    expect(letterRows(listed)).toEqual([
      {
        announcementId: 'ann-bbb222', title: '运动会', languages: ['zh-CN', 'en'], audience: listed[0]!.audience,
        createdAt: '2026-11-21T02:00:00Z', guardians: 3, reached: 2, confirmationRequired: true, confirmed: 1, failed: 1,
      },
    ])
  })
  it('says whom each went to: the school, a grade, the classes by name', () => {
    expect(audienceText(listed[0]!.audience, { c1: '三年级2班' })).toEqual({ key: 'letters.audienceOf.class', values: { classes: '三年级2班、c9' } })
    expect(audienceText({ ...listed[0]!.audience, kind: 'grade', grade: 3 }, {})).toEqual({ key: 'letters.audienceOf.grade', values: { grade: 3 } })
    expect(audienceText({ ...listed[0]!.audience, kind: 'school' }, {}).key).toBe('letters.audienceOf.school')
  })
})

describe('who has and has not confirmed', () => {
  const confirmations: Confirmations = {
    confirmation: 'any_guardian', students: 3, confirmed: 1,
    pending: [
      { student_id: 's2', pending_guardian_ids: ['g2'] },
      { student_id: 's3', pending_guardian_ids: ['g3', 'g4'] },
    ],
  }
  it('counts each guardian a reminder goes to once', () => {
    expect(pendingGuardians(confirmations)).toBe(3)
    expect(pendingGuardians(null)).toBe(0)
  })
  it('lists the guardians still waited for first, by name where known', () => {
    const rows = guardianRows(
      [
        message('ann-a-g1', { recipient_id: 'g1', student_ids: ['s1'], confirmed_at: '2026-11-20T03:00:00Z' }),
        message('ann-a-g2', { recipient_id: 'g2', student_ids: ['s2'] }),
      ],
      confirmations,
      { g1: '刘芳' },
      { s1: '张小雨', s2: '李浩然' },
    )
    expect(rows.map((r) => [r.guardianName, r.studentNames, r.pending, Boolean(r.confirmedAt)])).toEqual([
      ['g2', '李浩然', true, false],
      ['刘芳', '张小雨', false, true],
    ])
  })
  it('shows delivery counts in the order a message moves', () => {
    expect(deliveryRows({ failed: 1, sent: 4, queued: 0, bounced: 2 })).toEqual([
      { status: 'sent', count: 4 },
      { status: 'failed', count: 1 },
      { status: 'bounced', count: 2 },
    ])
  })
  it('has every word in English too', () => {
    expect(Object.keys(lettersEn).sort()).toEqual(Object.keys(lettersZhCN).sort())
  })
})
