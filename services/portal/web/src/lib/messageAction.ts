import type { InboxMessage, SessionLink } from './types'

// Which action a message offers. The message says its kind (`purpose`, the template it was made
// from); the thing it is about comes from the message's `source_id` when the service sends it, from
// the one-tap link when the session was opened by the link for this very message, and otherwise from
// the message id, which notifications builds from the notice's key:
//   mtg-<meeting>-v<n>-<status>-<guardian>   meeting invitation, reschedule, cancellation, reminder
//   vis-<visit>-summary-<guardian>           visit summary; vis-<visit>-v<n>-planned-<guardian>
//   <announcement>-<guardian>                a letter; <announcement>-r<n>-<guardian> its reminder
//   <emergency>-step<n>-<guardian>[-<channel>]

export type MessageAction =
  | { kind: 'rsvp'; meetingId: string }
  | { kind: 'meeting'; meetingId: string } // a cancelled meeting: shown, nothing to answer
  | { kind: 'confirm'; messageId: string }
  | { kind: 'acknowledge'; emergencyId: string }
  | { kind: 'visit'; visitId: string }
  | { kind: 'visit-planned'; visitId: string }
  | { kind: 'none' }

const MEETING_PURPOSES = ['meeting_invitation', 'meeting_rescheduled', 'meeting_reminder']

function stripRecipient(messageId: string, recipientId: string): string {
  const suffix = `-${recipientId}`
  const at = messageId.lastIndexOf(suffix)
  return at > 0 ? messageId.slice(0, at) : messageId
}

function fromMessageId(message: InboxMessage): string | null {
  const id = message.message_id
  const purpose = message.purpose
  if (MEETING_PURPOSES.includes(purpose) || purpose === 'meeting_cancelled') {
    return /^mtg-(.+?)-v\d+-/.exec(id)?.[1] ?? null
  }
  if (purpose === 'visit_summary') return /^vis-(.+?)-summary-/.exec(id)?.[1] ?? null
  if (purpose === 'visit_planned') return /^vis-(.+?)-v\d+-planned-/.exec(id)?.[1] ?? null
  if (purpose === 'emergency') return /^(.+?)-step\d+-/.exec(id)?.[1] ?? null
  if (purpose === 'announcement_reminder') {
    return /^(.+)-r\d+$/.exec(stripRecipient(id, message.recipient_id))?.[1] ?? null
  }
  return stripRecipient(id, message.recipient_id)
}

export function messageTarget(message: InboxMessage, link: SessionLink | null): string | null {
  if (message.source_id) return message.source_id
  if (link && link.message_id === message.message_id && link.target_id) return link.target_id
  return fromMessageId(message)
}

export function messageAction(message: InboxMessage, link: SessionLink | null = null): MessageAction {
  const ownLink = link && link.message_id === message.message_id ? link : null
  const target = messageTarget(message, ownLink)
  const purpose = message.purpose
  if (ownLink) {
    // A link session may call only the routes of its purpose: the link decides.
    switch (ownLink.purpose) {
      case 'rsvp':
        return purpose === 'meeting_cancelled'
          ? { kind: 'meeting', meetingId: ownLink.target_id }
          : { kind: 'rsvp', meetingId: ownLink.target_id }
      case 'confirm':
        return { kind: 'confirm', messageId: ownLink.message_id }
      case 'acknowledge':
        return { kind: 'acknowledge', emergencyId: ownLink.target_id }
      case 'visit':
        return purpose === 'visit_planned'
          ? { kind: 'visit-planned', visitId: ownLink.target_id }
          : { kind: 'visit', visitId: ownLink.target_id }
    }
  }
  if (MEETING_PURPOSES.includes(purpose) && target) return { kind: 'rsvp', meetingId: target }
  if (purpose === 'meeting_cancelled' && target) return { kind: 'meeting', meetingId: target }
  if (purpose === 'emergency' && target) return { kind: 'acknowledge', emergencyId: target }
  if (purpose === 'visit_summary' && target) return { kind: 'visit', visitId: target }
  if (purpose === 'visit_planned' && target) return { kind: 'visit-planned', visitId: target }
  if (purpose === 'announcement_reminder' && target) {
    // The reminder asks to confirm the letter it reminds of: the confirmation is that message's.
    return { kind: 'confirm', messageId: `${target}-${message.recipient_id}` }
  }
  if (message.confirmation_required) return { kind: 'confirm', messageId: message.message_id }
  return { kind: 'none' }
}
