import { describe, expect, it } from 'vitest'
import { messageAction } from '../../src/lib/messageAction'
import type { InboxMessage, SessionLink } from '../../src/lib/types'

function message(overrides: Partial<InboxMessage>): InboxMessage {
  return {
    message_id: 'x',
    school_id: 'sch-1',
    recipient_id: 'g-000001',
    student_ids: ['stu-1'],
    purpose: 'announcement',
    subject: 's',
    body: 'b',
    urgent: false,
    status: 'sent',
    created_at: '2026-11-20T01:00:00Z',
    sent_at: '2026-11-20T01:00:00Z',
    read_at: null,
    confirmation_required: false,
    confirmed_at: null,
    action: null,
    ...overrides,
  }
}

describe("which action a message gets: the message's action", () => {
  it('a meeting invitation, reschedule or reminder: RSVP to its meeting', () => {
    for (const purpose of ['meeting_invitation', 'meeting_rescheduled', 'meeting_reminder']) {
      const m = message({ purpose, message_id: 'opaque-1', action: { purpose: 'rsvp', target_id: 'm-9' } })
      expect(messageAction(m)).toEqual({ kind: 'rsvp', meetingId: 'm-9' })
    }
  })
  it('does not read the message id any more', () => {
    const m = message({ purpose: 'meeting_invitation', message_id: 'mtg-m-1-v1-scheduled-g-000001', action: null })
    expect(messageAction(m)).toEqual({ kind: 'none' })
  })
  it('a cancelled meeting: shown without buttons', () => {
    expect(messageAction(message({ purpose: 'meeting_cancelled', message_id: 'mtg-m-1-v3-cancelled-g-000001' }))).toEqual({ kind: 'none' })
  })
  it('a letter asking confirmation and its reminder: confirm the message shown, not the announcement', () => {
    const letter = message({ message_id: 'ann-abc-g-000001', confirmation_required: true, action: { purpose: 'confirm', target_id: 'ann-abc' } })
    expect(messageAction(letter)).toEqual({ kind: 'confirm', messageId: 'ann-abc-g-000001' })
    const reminder = message({ purpose: 'announcement_reminder', message_id: 'ann-abc-r2-g-000001', action: { purpose: 'confirm', target_id: 'ann-abc' } })
    expect(messageAction(reminder)).toEqual({ kind: 'confirm', messageId: 'ann-abc-r2-g-000001' })
  })
  it('a letter asking nothing: no button', () => {
    expect(messageAction(message({ message_id: 'ann-abc-g-000001' }))).toEqual({ kind: 'none' })
  })
  it('an emergency: acknowledge it', () => {
    const m = message({ purpose: 'emergency', message_id: 'em-0a1b-step0-g-000001-sms', action: { purpose: 'acknowledge', target_id: 'em-0a1b' } })
    expect(messageAction(m)).toEqual({ kind: 'acknowledge', emergencyId: 'em-0a1b' })
  })
  it('a visit summary: read and confirm the visit; a planned visit asks nothing', () => {
    const summary = message({ purpose: 'visit_summary', action: { purpose: 'visit', target_id: 'v-0a1b2c' } })
    expect(messageAction(summary)).toEqual({ kind: 'visit', visitId: 'v-0a1b2c' })
    expect(messageAction(message({ purpose: 'visit_planned', message_id: 'vis-v-1-v1-planned-g-000001' }))).toEqual({ kind: 'none' })
  })
  it('a partner activity, or a message from before action existed: no button', () => {
    expect(messageAction(message({ purpose: 'partner_activity' }))).toEqual({ kind: 'none' })
    const old = message({ purpose: 'meeting_invitation' }) as Partial<InboxMessage>
    delete old.action
    expect(messageAction(old as InboxMessage)).toEqual({ kind: 'none' })
  })
})

describe('in a link session', () => {
  it("the link's purpose and target decide, for the link's own message", () => {
    const m = message({ purpose: 'meeting_invitation', message_id: 'msg-1', action: { purpose: 'rsvp', target_id: 'm-7' } })
    expect(messageAction(m, { purpose: 'rsvp', target_id: 'm-7', message_id: 'msg-1' })).toEqual({ kind: 'rsvp', meetingId: 'm-7' })
    const letter = message({ message_id: 'msg-2', action: { purpose: 'confirm', target_id: 'ann-1' } })
    expect(messageAction(letter, { purpose: 'confirm', target_id: 'ann-1', message_id: 'msg-2' })).toEqual({ kind: 'confirm', messageId: 'msg-2' })
    const emergency = message({ message_id: 'msg-3', purpose: 'emergency', action: { purpose: 'acknowledge', target_id: 'em-1' } })
    expect(messageAction(emergency, { purpose: 'acknowledge', target_id: 'em-1', message_id: 'msg-3' })).toEqual({ kind: 'acknowledge', emergencyId: 'em-1' })
    const visit = message({ message_id: 'msg-4', purpose: 'visit_summary', action: { purpose: 'visit', target_id: 'v-1' } })
    expect(messageAction(visit, { purpose: 'visit', target_id: 'v-1', message_id: 'msg-4' })).toEqual({ kind: 'visit', visitId: 'v-1' })
  })
  it("a meeting reminder's link lets the guardian answer though the message asks nothing", () => {
    const reminder = message({ purpose: 'meeting_reminder', message_id: 'msg-5', action: null })
    expect(messageAction(reminder, { purpose: 'rsvp', target_id: 'm-7', message_id: 'msg-5' })).toEqual({ kind: 'rsvp', meetingId: 'm-7' })
  })
  it('the link of a message asking nothing only lets it be read', () => {
    const planned = message({ purpose: 'visit_planned', message_id: 'msg-6', action: null })
    expect(messageAction(planned, { purpose: 'confirm', target_id: 'v-1', message_id: 'msg-6' })).toEqual({ kind: 'none' })
  })
  it('a link for another message does not steer this one', () => {
    const link: SessionLink = { purpose: 'acknowledge', target_id: 'em-1', message_id: 'other' }
    const own = message({ purpose: 'meeting_invitation', message_id: 'msg-7', action: { purpose: 'rsvp', target_id: 'm-1' } })
    expect(messageAction(own, link)).toEqual({ kind: 'rsvp', meetingId: 'm-1' })
  })
})
