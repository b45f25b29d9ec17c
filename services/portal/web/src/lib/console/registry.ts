// The school's registry as the console shows it (学籍与教职工): the registry's records, their
// words in Chinese, and the rules of an edit that may meet another person's. No I/O.

import type { ClassInfo } from '../classTypes'
import type { Locale } from '../http'

/** registry SchoolPublic */
export interface School {
  school_id: string
  name: string
  level: string
  setting: string
  address: string
  status: string
  version: number
}

/** registry ClassPublic, with the version a save names */
export type SchoolClass = ClassInfo & { version: number }

/** registry StaffPublic */
export interface StaffMember {
  staff_id: string
  school_id: string
  name: string
  roles: string[]
  class_ids?: string[]
  phone?: string | null
  email?: string | null
  version: number
}

/** registry StudentPublic (care_categories only for the school admin and the class's teachers) */
export interface Student {
  student_id: string
  school_id: string
  class_id: string
  name: string
  gender: string
  student_number: string
  status: string
  history: Array<{ school_id?: string; class_id?: string; from?: string; to?: string }>
  care_categories?: string[] | null
  version: number
}

/** registry GuardianPublic (phone masked: 138****1234) */
export interface Guardian {
  guardian_id: string
  name: string
  relationship: string
  student_ids: string[]
  phone: string | null
  email: string | null
  preferred_channel: string
  language: string
  consent_non_essential: boolean
  version: number
}

/** registry GuardianContact: the full details, read through the audited route */
export interface GuardianContact {
  guardian_id: string
  phone: string | null
  email: string | null
  messaging_handle: string | null
}

/** registry AuditEntry */
export interface AuditEntry {
  at: string
  who: string
  role: string
  action: string
  record_id: string
  version: number | null
}

/** The care categories in the order the roster's columns give them (registry roster.CARE_COLUMNS). */
export const CARE_CATEGORIES = ['left_behind', 'hardship', 'special_attention', 'single_parent', 'disability', 'idle_youth_risk'] as const

const CARE_LABELS: Record<Locale, Record<string, string>> = {
  'zh-CN': {
    left_behind: '留守儿童',
    hardship: '困难家庭',
    special_attention: '特别关注',
    single_parent: '单亲家庭',
    disability: '残疾',
    idle_youth_risk: '闲散青少年',
  },
  en: {
    left_behind: 'Left-behind',
    hardship: 'Hardship',
    special_attention: 'Special attention',
    single_parent: 'Single parent',
    disability: 'Disability',
    idle_youth_risk: 'Idle-youth risk',
  },
}

/** 三必访: the categories whose students must be visited every term (DOMAIN: mandatory visits). */
const MANDATORY = new Set(['left_behind', 'hardship', 'special_attention'])

export function careLabel(category: string, locale: Locale = 'zh-CN'): string {
  return CARE_LABELS[locale][category] ?? category
}

/** The categories in the roster's order, unknown ones last, each once. */
export function careLabels(categories: readonly string[] | null | undefined, locale: Locale = 'zh-CN'): string[] {
  const given = new Set(categories ?? [])
  const known = CARE_CATEGORIES.filter((c) => given.has(c))
  const unknown = [...given].filter((c) => !(CARE_CATEGORIES as readonly string[]).includes(c)).sort()
  return [...known, ...unknown].map((c) => careLabel(c, locale))
}

export function mustBeVisited(categories: readonly string[] | null | undefined): boolean {
  return (categories ?? []).some((c) => MANDATORY.has(c))
}

const ROLE_LABELS: Record<Locale, Record<string, string>> = {
  'zh-CN': { school_admin: '学校管理员', head_teacher: '班主任', subject_teacher: '科任教师', guardian: '家长', bureau: '教育局' },
  en: { school_admin: 'School admin', head_teacher: 'Head teacher', subject_teacher: 'Subject teacher', guardian: 'Guardian', bureau: 'Bureau' },
}

export function roleLabels(roles: readonly string[], locale: Locale = 'zh-CN'): string {
  const order = ['school_admin', 'head_teacher', 'subject_teacher']
  return [...roles]
    .sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99))
    .map((role) => ROLE_LABELS[locale][role] ?? role)
    .join(locale === 'en' ? ', ' : '、')
}

const STATUS_LABELS: Record<Locale, Record<string, string>> = {
  'zh-CN': { enrolled: '在读', transferred_out: '已转出', graduated: '已毕业', left: '已离校' },
  en: { enrolled: 'Enrolled', transferred_out: 'Transferred out', graduated: 'Graduated', left: 'Left' },
}

export function enrolmentLabel(status: string, locale: Locale = 'zh-CN'): string {
  return STATUS_LABELS[locale][status] ?? status
}

const DIGITS = ['', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十', '十一', '十二']

/** 三年级 (grade 3); the English "Grade 3". */
export function gradeLabel(grade: number, locale: Locale = 'zh-CN'): string {
  if (locale === 'en') return `Grade ${grade}`
  return DIGITS[grade] ? `${DIGITS[grade]}年级` : `${grade}年级`
}

/** Classes by grade, then by name as people number them (2班 before 10班). */
export function sortClasses<T extends { grade: number; name: string }>(classes: readonly T[]): T[] {
  return [...classes].sort((a, b) => a.grade - b.grade || a.name.localeCompare(b.name, 'zh-CN', { numeric: true }))
}

export function byId<T, K extends keyof T>(records: readonly T[] | null | undefined, key: K): Record<string, T> {
  const found: Record<string, T> = {}
  for (const record of records ?? []) found[String(record[key])] = record
  return found
}

/** The names of the classes a teacher teaches, in the classes' order. */
export function classNames(classIds: readonly string[] | undefined, classes: readonly SchoolClass[]): string[] {
  const wanted = new Set(classIds ?? [])
  return sortClasses(classes.filter((c) => wanted.has(c.class_id))).map((c) => c.name)
}

export interface StudentEdit {
  name: string
  care_categories: string[]
}

/** The PATCH body of an edit: only what changed (an empty object when nothing did). */
export function studentChanges(student: Pick<Student, 'name' | 'care_categories'>, edit: StudentEdit): Partial<StudentEdit> {
  const changes: Partial<StudentEdit> = {}
  const name = edit.name.trim()
  if (name !== student.name) changes.name = name
  const before = [...(student.care_categories ?? [])].sort()
  const after = [...new Set(edit.care_categories)].sort()
  if (student.care_categories != null && before.join(',') !== after.join(',')) changes.care_categories = after
  return changes
}

/** What is wrong with an edit before it is sent (the registry's StudentUpdate: a name of 1–30). */
export function studentEditProblem(edit: StudentEdit): string | null {
  const name = edit.name.trim()
  if (!name) return 'registry.student.nameRequired'
  if ([...name].length > 30) return 'registry.student.nameTooLong'
  return null
}

const AUDIT_ACTIONS: Record<Locale, Record<string, string>> = {
  'zh-CN': {
    'change:students': '修改学生信息',
    'change:guardians': '修改家长信息',
    'change:roster_imports': '导入花名册',
    'read:guardian-contact': '查看家长完整联系方式',
  },
  en: {
    'change:students': 'Student changed',
    'change:guardians': 'Guardian changed',
    'change:roster_imports': 'Roster imported',
    'read:guardian-contact': "Guardian's full contact viewed",
  },
}

export function auditActionLabel(action: string, locale: Locale = 'zh-CN'): string {
  return AUDIT_ACTIONS[locale][action] ?? action
}

/** The names the audit log can show for the ids it holds: the school's staff, and the students and
 * guardians of its classes (the registry lists them class by class). */
export function auditNames(
  staff: readonly Pick<StaffMember, 'staff_id' | 'name'>[] | null | undefined,
  students: readonly Pick<Student, 'student_id' | 'name'>[] | null | undefined,
  guardians: readonly Pick<Guardian, 'guardian_id' | 'name'>[] | null | undefined,
): Record<string, string> {
  const names: Record<string, string> = {}
  for (const s of staff ?? []) names[s.staff_id] = s.name
  for (const s of students ?? []) names[s.student_id] = s.name
  for (const g of guardians ?? []) names[g.guardian_id] = g.name
  return names
}

/** The record an entry changed or read: its name where the school knows it, else its id. */
export function auditRecord(entry: Pick<AuditEntry, 'record_id'>, names: Record<string, string>): string {
  return names[entry.record_id] ?? entry.record_id
}

/** Who did it: a name the school knows (its staff, a guardian), else the subject as the record holds it. */
export function auditWho(entry: Pick<AuditEntry, 'who' | 'role'>, staffNames: Record<string, string>, locale: Locale = 'zh-CN'): string {
  const name = staffNames[entry.who]
  const role = entry.role ? (ROLE_LABELS[locale][entry.role] ?? entry.role) : ''
  if (name) return role ? `${name}（${role}）` : name
  return role ? `${entry.who}（${role}）` : entry.who
}
