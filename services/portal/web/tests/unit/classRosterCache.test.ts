import { beforeEach, describe, expect, it, vi } from 'vitest'
import { computed, ref } from 'vue'

// The session and the API, as the class cache sees them: who is signed in, and each GET it makes.
const session = ref<{ subject: string; school_id: string } | null>(null)
const gets: string[] = []

vi.mock('../../src/composables/useSession', () => ({
  useSession: () => ({ user: computed(() => session.value) }),
}))
vi.mock('../../src/composables/useApi', () => ({
  useApi: () => ({
    get: (path: string) => {
      gets.push(path)
      return Promise.resolve([{ class_id: `read-by-${session.value?.subject ?? 'nobody'}`, name: path }])
    },
  }),
}))

const { forgetClasses, myClasses } = await import('../../src/composables/useClassRoster')

describe("the class pages' cache on a shared phone", () => {
  beforeEach(() => {
    forgetClasses()
    gets.length = 0
    session.value = null
  })

  it('reads once per teacher while they stay signed in', async () => {
    session.value = { subject: 'stf-wang', school_id: 'sch-1' }
    await myClasses('sch-1')
    await myClasses('sch-1')
    expect(gets).toHaveLength(1)
  })

  it("never gives the next teacher what the previous one read", async () => {
    session.value = { subject: 'stf-wang', school_id: 'sch-1' }
    const first = await myClasses('sch-1')
    session.value = { subject: 'stf-li', school_id: 'sch-1' }
    const second = await myClasses('sch-1')
    expect(first[0]?.class_id).toBe('read-by-stf-wang')
    expect(second[0]?.class_id).toBe('read-by-stf-li')
    expect(gets).toHaveLength(2)
  })

  it('forgets everything at sign-out, even if the same teacher signs in again', async () => {
    session.value = { subject: 'stf-wang', school_id: 'sch-1' }
    await myClasses('sch-1')
    session.value = null // signed out
    session.value = { subject: 'stf-wang', school_id: 'sch-1' }
    await myClasses('sch-1')
    expect(gets).toHaveLength(2)
  })

  it('keeps nothing while nobody is signed in', async () => {
    await myClasses('sch-1')
    await myClasses('sch-1')
    expect(gets).toHaveLength(2)
  })
})
