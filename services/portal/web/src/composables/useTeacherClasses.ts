import { computed, ref, shallowRef } from 'vue'
import { cachedGet, type CachedAnswer } from '../lib/offlineCache'
import type { VisitMode } from '../lib/types'
import { errorText, useApi } from './useApi'
import { useSession } from './useSession'

// What the visit forms need of the teacher's classes, online or not: each class with its enrolled
// students (names), its teachers, the current term's first day and its planned visits. Every read
// goes through this phone's copy (lib/offlineCache), so the forms open without a network once they
// have been opened online.

export interface TeacherClass {
  class_id: string
  name: string
  grade?: number
  status?: string
}

export interface ClassStudentRow {
  student_id: string
  class_id: string
  name: string
  status: string
}

export interface ClassTeacherRow {
  staff_id: string
  name: string
  head_teacher: boolean
}

export interface PlannedVisitRow {
  visit_id: string
  class_id: string
  student_id: string
  status: string
  planned_on: string | null
  mode: VisitMode
  visiting_staff_ids: string[]
}

export interface ClassBundle {
  klass: TeacherClass
  students: ClassStudentRow[]
  teachers: ClassTeacherRow[]
  termStart: string | null
  termEnd: string | null
  planned: PlannedVisitRow[]
}

const registry = (rest: string) => `/api/registry/v1/${rest}`
const scheduling = (rest: string) => `/api/scheduling/v1/${rest}`

export function useTeacherClasses() {
  const { user } = useSession()
  const { get } = useApi()
  const classes = shallowRef<ClassBundle[]>([])
  const loading = ref(false)
  const error = ref('')
  /** When the oldest copy shown was read, if any came from this phone rather than the network. */
  const cachedAt = ref<string | null>(null)

  async function read<T>(path: string, owner: string, fallback?: T): Promise<T> {
    try {
      const answer: CachedAnswer<T> = await cachedGet<T>(path, owner, (p) => get<T>(p))
      if (answer.fromCache && (!cachedAt.value || answer.at < cachedAt.value)) cachedAt.value = answer.at
      return answer.data
    } catch (failure) {
      if (fallback !== undefined) return fallback
      throw failure
    }
  }

  async function reload(): Promise<void> {
    const me = user.value
    if (!me) return
    loading.value = true
    error.value = ''
    cachedAt.value = null
    try {
      const listed = me.school_id
        ? await read<TeacherClass[]>(registry(`schools/${encodeURIComponent(me.school_id)}/classes`), me.subject)
        : []
      const mine = me.class_ids.length ? listed.filter((c) => me.class_ids.includes(c.class_id)) : listed
      classes.value = await Promise.all(
        mine.map(async (klass): Promise<ClassBundle> => {
          const id = encodeURIComponent(klass.class_id)
          const [students, teachers, must, planned] = await Promise.all([
            read<ClassStudentRow[]>(registry(`classes/${id}/students`), me.subject, []),
            read<ClassTeacherRow[]>(registry(`classes/${id}/teachers`), me.subject, []),
            read<{ starts_on: string; ends_on: string } | null>(scheduling(`classes/${id}/must-visit`), me.subject, null),
            read<PlannedVisitRow[]>(scheduling(`classes/${id}/home-visits?status=planned`), me.subject, []),
          ])
          return {
            klass,
            students: students.filter((s) => s.status === 'enrolled' && s.class_id === klass.class_id),
            teachers,
            termStart: must?.starts_on ?? null,
            termEnd: must?.ends_on ?? null,
            planned,
          }
        }),
      )
    } catch (failure) {
      error.value = errorText(failure)
    } finally {
      loading.value = false
    }
  }

  void reload()

  const studentNames = computed(() => {
    const names: Record<string, string> = {}
    for (const bundle of classes.value) for (const s of bundle.students) names[s.student_id] = s.name
    return names
  })

  return { classes, loading, error, cachedAt, reload, studentNames }
}
