// The JSON shapes this app reads, from the services' committed OpenAPI documents (only the fields
// shown; tolerant of additions).

export type LinkPurpose = 'rsvp' | 'confirm' | 'acknowledge' | 'visit'

export interface SessionLink {
  purpose: LinkPurpose
  target_id: string
  message_id: string
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
  /** Not in MessagePublic today: the meeting, visit, announcement or emergency it is about. */
  source_id?: string
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
}

/** notifications EmergencyPublic */
export interface Emergency {
  emergency_id: string
  status: string
  acknowledged_at?: string | null
}

/** scheduling MeetingPublic */
export interface Meeting {
  meeting_id: string
  title: string
  kind: string
  starts_at: string
  ends_at: string
  place: string
  status: 'planned' | 'held' | 'cancelled'
  /** Not in MeetingPublic today: the caller's own answer. */
  my_rsvp?: RsvpAnswer | null
}

export type RsvpAnswer = 'yes' | 'no' | 'maybe'

/** scheduling GuardianVisitView */
export interface GuardianVisit {
  visit_id: string
  student_id: string
  status: string
  mode: 'in_person' | 'phone' | 'video' | 'school_visit'
  planned_on: string | null
  visited_on: string | null
  shareable_summary: string | null
  confirmed_on?: string | null
}

/** scheduling CalendarItem */
export interface CalendarItem {
  id: string
  kind: 'meeting' | 'home_visit'
  title: string
  status: string
  starts_at?: string | null
  ends_at?: string | null
  on?: string | null
  place?: string
}

/** scheduling TicketPublic */
export interface Ticket {
  ticket_id: string
  meeting_id: string
  question: string
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
