import { computed, ref, shallowRef, watch } from 'vue'
import { isHeadTeacher, studentNames, teacherNames } from '../lib/classes'
import type { ClassInfo, ClassStudent, ClassTeacher } from '../lib/classTypes'
import { useApi } from './useApi'
import { useSession } from './useSession'

// What the class pages share about a class, read from the registry once per page load: its record
// (name, head teacher), its students (names, care categories) and its teachers. Each part that cannot
// be read leaves the pages with ids rather than names; none of them stops a page.
//
// What was read is kept for the teacher who read it only: a phone is often shared (the next teacher
// signs in on it), so the cache is keyed by the signed-in subject and emptied when the session's
// user changes or signs out — the next teacher never sees the previous one's students or their
// care categories.

const cache = new Map<string, Promise<unknown>>()
let cachedFor: string | null = null

function signedInSubject(): string | null {
  return useSession().user.value?.subject ?? null
}

// On sign-out (user → null) or another teacher signing in, forget at once (sync: before any page
// of the new session reads).
watch(signedInSubject, (subject) => {
  if (subject !== cachedFor) forgetClasses()
}, { flush: 'sync' })

function cached<T>(path: string): Promise<T> {
  const { get } = useApi()
  const subject = signedInSubject()
  if (!subject) return get<T>(path) // nobody signed in: nothing is kept
  if (subject !== cachedFor) {
    cache.clear()
    cachedFor = subject
  }
  const key = `${subject}\n${path}`
  let found = cache.get(key) as Promise<T> | undefined
  if (!found) {
    found = get<T>(path)
    cache.set(key, found)
    found.catch(() => cache.delete(key))
  }
  return found
}

/** Forget what was read (on sign-out, another teacher signing in, or after a change the registry
 * will show). */
export function forgetClasses(): void {
  cache.clear()
  cachedFor = null
}

/** The teacher's own classes (the registry lists a teacher the classes they teach). */
export function myClasses(schoolId: string | null | undefined): Promise<ClassInfo[]> {
  if (!schoolId) return Promise.resolve([])
  return cached<ClassInfo[]>(`/api/registry/v1/schools/${encodeURIComponent(schoolId)}/classes`)
}

export function useClassRoster(classId: () => string) {
  const { user } = useSession()
  const klass = shallowRef<ClassInfo | null>(null)
  const students = shallowRef<ClassStudent[]>([])
  const teachers = shallowRef<ClassTeacher[]>([])
  const teachersKnown = ref(false)

  async function load(): Promise<void> {
    const id = classId()
    const path = `/api/registry/v1/classes/${encodeURIComponent(id)}`
    const [classes, roster, staff] = await Promise.allSettled([
      myClasses(user.value?.school_id),
      cached<ClassStudent[]>(`${path}/students`),
      cached<ClassTeacher[]>(`${path}/teachers`),
    ])
    if (id !== classId()) return
    klass.value = classes.status === 'fulfilled' ? (classes.value.find((c) => c.class_id === id) ?? null) : null
    students.value = roster.status === 'fulfilled' ? roster.value : []
    teachersKnown.value = staff.status === 'fulfilled'
    teachers.value = staff.status === 'fulfilled' ? staff.value : []
  }

  // a page kept while another teacher signs in reads their classes, not the previous teacher's
  watch([classId, () => user.value?.subject ?? null], () => void load(), { immediate: true })

  const me = computed(() => user.value?.subject ?? null)
  return {
    klass,
    students,
    teachers,
    teachersKnown,
    className: computed(() => klass.value?.name ?? classId()),
    names: computed(() => studentNames(students.value)),
    staffNames: computed(() => ({ ...(me.value ? { [me.value]: user.value?.name ?? '' } : {}), ...teacherNames(teachers.value) })),
    isHead: computed(() => isHeadTeacher(me.value, klass.value, teachers.value)),
    reload: load,
  }
}
