import type { InboxMessage, LinkPurpose, SessionLink } from './types'

// Which action a message offers: notifications says it in the message's `action` (what it asks, and
// the meeting, announcement, emergency or visit it is about); null means it asks nothing (a cancelled
// meeting, a planned visit, a plain notice) and the page shows no button.
//
// In a link session opened by this very message's link, the link's purpose and target decide: the
// session may call only the routes of its purpose. A message that asks nothing still has a link, to be
// read: its scope is then "confirm" on the thing it is about, which asks for no receipt, so it gives
// no button.

export type MessageAction =
  | { kind: 'rsvp'; meetingId: string }
  /** The confirmation is POSTed to the message shown (a reminder's confirms the letter it reminds of). */
  | { kind: 'confirm'; messageId: string }
  | { kind: 'acknowledge'; emergencyId: string }
  | { kind: 'visit'; visitId: string }
  | { kind: 'none' }

const NONE: MessageAction = { kind: 'none' }

function ofPurpose(purpose: LinkPurpose, targetId: string, message: InboxMessage): MessageAction {
  switch (purpose) {
    case 'rsvp':
      return { kind: 'rsvp', meetingId: targetId }
    case 'confirm':
      return { kind: 'confirm', messageId: message.message_id }
    case 'acknowledge':
      return { kind: 'acknowledge', emergencyId: targetId }
    case 'visit':
      return { kind: 'visit', visitId: targetId }
    default:
      return NONE
  }
}

export function messageAction(message: InboxMessage, link: SessionLink | null = null): MessageAction {
  if (message.purpose === 'meeting_cancelled') return NONE // nothing to answer, and no link
  const asked = message.action ?? null
  const ownLink = link && link.message_id === message.message_id && link.target_id ? link : null
  if (ownLink) {
    if (!asked && ownLink.purpose === 'confirm') return NONE // the link only lets it be read
    return ofPurpose(ownLink.purpose, ownLink.target_id, message)
  }
  if (!asked?.target_id) return NONE
  return ofPurpose(asked.purpose, asked.target_id, message)
}
