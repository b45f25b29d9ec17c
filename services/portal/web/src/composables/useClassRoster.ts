import { computed, ref, shallowRef, watch } from 'vue'
import { isHeadTeacher, studentNames, teacherNames } from '../lib/classes'
import type { ClassInfo, ClassStudent, ClassTeacher } from '../lib/classTypes'
import { useApi } from './useApi'
import { useSession } from './useSession'

// What the class pages share about a class, read from the registry once per page load: its record
// (name, head teacher), its students (names, care categories) and its teachers. Each part that cannot
// be read leaves the pages with ids rather than names; none of them stops a page.

const cache = new Map<string, Promise<unknown>>()

function cached<T>(path: string): Promise<T> {
  let found = cache.get(path) as Promise<T> | undefined
  if (!found) {
    const { get } = useApi()
    found = get<T>(path)
    cache.set(path, found)
    found.catch(() => cache.delete(path))
  }
  return found
}

/** Forget what was read (after a change the registry will show, or on "重试"). */
export function forgetClasses(): void {
  cache.clear()
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

  watch(classId, () => void load(), { immediate: true })

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
