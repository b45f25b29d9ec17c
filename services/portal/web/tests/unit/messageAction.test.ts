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
    ...overrides,
  }
}

describe('which action a message gets', () => {
  it('a meeting invitation: RSVP to the meeting named in its id', () => {
    const m = message({ purpose: 'meeting_invitation', message_id: 'mtg-m-0a1b2c3d4e5f-v1-scheduled-g-000001' })
    expect(messageAction(m)).toEqual({ kind: 'rsvp', meetingId: 'm-0a1b2c3d4e5f' })
  })
  it('a rescheduled meeting and a reminder: RSVP too', () => {
    expect(messageAction(message({ purpose: 'meeting_rescheduled', message_id: 'mtg-m-1-v2-rescheduled-g-000001' }))).toEqual({ kind: 'rsvp', meetingId: 'm-1' })
    expect(messageAction(message({ purpose: 'meeting_reminder', message_id: 'mtg-m-1-v2-reminder-7200-g-000001' }))).toEqual({ kind: 'rsvp', meetingId: 'm-1' })
  })
  it('a cancelled meeting: shown, not answered', () => {
    expect(messageAction(message({ purpose: 'meeting_cancelled', message_id: 'mtg-m-1-v3-cancelled-g-000001' }))).toEqual({ kind: 'meeting', meetingId: 'm-1' })
  })
  it('a letter needing confirmation: confirm this message', () => {
    const m = message({ purpose: 'announcement', message_id: 'ann-abc-g-000001', confirmation_required: true })
    expect(messageAction(m)).toEqual({ kind: 'confirm', messageId: 'ann-abc-g-000001' })
  })
  it('a letter without confirmation: nothing to do', () => {
    expect(messageAction(message({ purpose: 'announcement', message_id: 'ann-abc-g-000001' }))).toEqual({ kind: 'none' })
  })
  it("a letter's reminder: confirm the letter it reminds of", () => {
    const m = message({ purpose: 'announcement_reminder', message_id: 'ann-abc-r2-g-000001' })
    expect(messageAction(m)).toEqual({ kind: 'confirm', messageId: 'ann-abc-g-000001' })
  })
  it('an emergency: acknowledge it, on every channel it was sent', () => {
    expect(messageAction(message({ purpose: 'emergency', message_id: 'em-0a1b-step0-g-000001-sms' }))).toEqual({ kind: 'acknowledge', emergencyId: 'em-0a1b' })
    expect(messageAction(message({ purpose: 'emergency', message_id: 'em-0a1b-step1-g-000001' }))).toEqual({ kind: 'acknowledge', emergencyId: 'em-0a1b' })
  })
  it('a visit summary: read and confirm the visit; a planned visit: shown', () => {
    expect(messageAction(message({ purpose: 'visit_summary', message_id: 'vis-v-0a1b2c-summary-g-000001' }))).toEqual({ kind: 'visit', visitId: 'v-0a1b2c' })
    expect(messageAction(message({ purpose: 'visit_planned', message_id: 'vis-v-0a1b2c-v1-planned-g-000001' }))).toEqual({ kind: 'visit-planned', visitId: 'v-0a1b2c' })
  })
  it("prefers the message's source_id when the service sends it", () => {
    const m = message({ purpose: 'meeting_invitation', message_id: 'opaque-1', source_id: 'm-9' })
    expect(messageAction(m)).toEqual({ kind: 'rsvp', meetingId: 'm-9' })
  })
  it('a partner activity: nothing to do', () => {
    expect(messageAction(message({ purpose: 'partner_activity', message_id: 'act-pa-1-g-000001' }))).toEqual({ kind: 'none' })
  })
})

describe('in a link session', () => {
  const m = message({ purpose: 'meeting_invitation', message_id: 'msg-1' })
  it("the link's purpose and target decide, for the link's own message", () => {
    const link: SessionLink = { purpose: 'rsvp', target_id: 'm-7', message_id: 'msg-1' }
    expect(messageAction(m, link)).toEqual({ kind: 'rsvp', meetingId: 'm-7' })
    expect(messageAction(message({ message_id: 'msg-2', purpose: 'x' }), { purpose: 'confirm', target_id: 'ann-1', message_id: 'msg-2' })).toEqual({ kind: 'confirm', messageId: 'msg-2' })
    expect(messageAction(message({ message_id: 'msg-3', purpose: 'emergency' }), { purpose: 'acknowledge', target_id: 'em-1', message_id: 'msg-3' })).toEqual({ kind: 'acknowledge', emergencyId: 'em-1' })
    expect(messageAction(message({ message_id: 'msg-4', purpose: 'visit_summary' }), { purpose: 'visit', target_id: 'v-1', message_id: 'msg-4' })).toEqual({ kind: 'visit', visitId: 'v-1' })
  })
  it("a link for another message does not steer this one", () => {
    const link: SessionLink = { purpose: 'acknowledge', target_id: 'em-1', message_id: 'other' }
    const own = message({ purpose: 'meeting_invitation', message_id: 'mtg-m-1-v1-scheduled-g-000001' })
    expect(messageAction(own, link)).toEqual({ kind: 'rsvp', meetingId: 'm-1' })
  })
})
