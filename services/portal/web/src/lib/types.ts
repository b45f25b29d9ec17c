// The JSON shapes this app reads, from the services' committed OpenAPI documents (only the fields
// shown; tolerant of additions).

export type LinkPurpose = 'rsvp' | 'confirm' | 'acknowledge' | 'visit'

export interface SessionLink {
  purpose: LinkPurpose
  target_id: string
  message_id: string
}

/** notifications ActionPublic: what a message asks of the guardian, and what it is about (a meeting,
 * an announcement, an emergency or a visit). */
export interface MessageActionInfo {
  purpose: LinkPurpose
  target_id: string
}

export interface SessionUser {
  subject: string
  role: string
  name: string
  district_id: string
  school_id: string | null
  student_ids: string[]
  class_ids: string[]
  language: string | null
  link: SessionLink | null
}

/** notifications MessagePublic */
export interface InboxMessage {
  message_id: string
  school_id: string
  recipient_id: string
  student_ids: string[]
  purpose: string
  subject: string
  body: string
  urgent: boolean
  status: 'queued' | 'sent' | 'delivered' | 'read' | 'failed' | 'cancelled'
  created_at: string
  sent_at: string | null
  read_at: string | null
  confirmation_required: boolean
  confirmed_at: string | null
  /** null: the message asks nothing (a cancelled meeting, a planned visit, a plain notice). */
  action: MessageActionInfo | null
}

export type Channel = 'sms' | 'wechat' | 'email' | 'app'

/** notifications Preferences */
export interface Preferences {
  channel_order?: Channel[] | null
  delivery?: 'instant' | 'digest'
  digest_at?: string | null
  quiet_hours?: boolean
  quiet_start?: string | null
  quiet_end?: string | null
  /** zh-CN or en; null: the language the school set in the registry. */
  language?: 'zh-CN' | 'en' | null
}

/** notifications EmergencyPublic */
export interface Emergency {
  emergency_id: string
  status: string
  acknowledged_at?: string | null
}

export type RsvpAnswer = 'yes' | 'no' | 'maybe'

export type MeetingKind = 'parent_meeting' | 'parent_school_session' | 'open_day' | 'committee_meeting' | 'reception_day'

export type VisitMode = 'in_person' | 'phone' | 'video' | 'school_visit'

/** scheduling MeetingPublic */
export interface Meeting {
  meeting_id: string
  title: string
  kind: MeetingKind
  starts_at: string
  ends_at: string
  place: string
  status: 'planned' | 'held' | 'cancelled'
  /** The calling guardian's own answer; null when not answered yet. */
  my_rsvp: RsvpAnswer | null
}

/** scheduling GuardianVisitView */
export interface GuardianVisit {
  visit_id: string
  student_id: string
  status: string
  mode: VisitMode
  planned_on: string | null
  visited_on: string | null
  shareable_summary: string | null
  confirmed_on?: string | null
}

/** scheduling CalendarItem: for a guardian, the meetings ahead that invite them (cancelled ones kept,
 * status "cancelled") and the planned visits to their children (title "家访 <student_id>"). */
export interface CalendarItem {
  id: string
  kind: 'meeting' | 'home_visit'
  title: string
  /** planned, cancelled, … */
  status: string
  starts_at?: string | null
  ends_at?: string | null
  /** A visit's day. */
  on?: string | null
  place?: string
  meeting_kind?: MeetingKind | null
  mode?: VisitMode | null
  my_rsvp?: RsvpAnswer | null
}

/** scheduling GuardianTicketCreate */
export interface TicketCreate {
  question: string
  /** A reception day (校长接待日); left out for the principal's mailbox (校长信箱). */
  meeting_id?: string
}

/** scheduling GuardianTicketView: a guardian's own question and the school's reply */
export interface Ticket {
  ticket_id: string
  channel: 'meeting' | 'mailbox'
  meeting_id: string | null
  question: string
  raised_on?: string | null
  due_on: string
  reply: string | null
  replied_on: string | null
}

/** registry StudentPublic (what a guardian reads of their child) */
export interface Student {
  student_id: string
  name: string
  class_id: string
}
