import { createRouter, createWebHistory, type RouteLocationNormalized, type RouteRecordRaw } from 'vue-router'
import { onUnauthenticated } from './composables/useApi'
import { homeOf } from './lib/next'
import { useSession } from './composables/useSession'

declare module 'vue-router' {
  interface RouteMeta {
    /** Who may open the page: guardians (a link session only on its own message), any signed-in
     * staff, teachers (the phone pages of 班主任 and 科任教师), or one desk role (the consoles of
     * the school admin, the community partner and the bureau). */
    requires?: 'guardian' | 'staff' | 'teacher' | 'school_admin' | 'partner' | 'bureau'
    /** A desk page: drawn inside the console's frame (components/console/ConsoleLayout.vue). */
    console?: boolean
    /** Shows the guardian's bottom tab bar. */
    tabs?: boolean
    /** Shows the teacher's bottom tab bar. */
    teacherTabs?: boolean
    /** A sign-in page: a signed-in person goes on to their home. */
    signIn?: boolean
  }
}

const routes: RouteRecordRaw[] = [
  { path: '/', name: 'home', component: { render: () => null } },
  { path: '/sign-in', name: 'sign-in', component: () => import('./pages/guardian/GuardianSignIn.vue'), meta: { signIn: true } },
  { path: '/staff/sign-in', name: 'staff-sign-in', component: () => import('./pages/staff/StaffSignIn.vue'), meta: { signIn: true } },
  { path: '/activate/:token?', name: 'activate', component: () => import('./pages/staff/AccountActivation.vue'), props: true },
  { path: '/staff', name: 'staff-home', component: () => import('./pages/staff/StaffHome.vue'), meta: { requires: 'staff' } },
  { path: '/inbox', name: 'inbox', component: () => import('./pages/guardian/InboxList.vue'), meta: { requires: 'guardian', tabs: true } },
  { path: '/messages/:id', name: 'message', component: () => import('./pages/guardian/MessageDetail.vue'), props: true, meta: { requires: 'guardian', tabs: true } },
  { path: '/upcoming', name: 'upcoming', component: () => import('./pages/guardian/UpcomingSchedule.vue'), meta: { requires: 'guardian', tabs: true } },
  { path: '/feedback', name: 'feedback', component: () => import('./pages/guardian/PrincipalFeedback.vue'), meta: { requires: 'guardian', tabs: true } },
  { path: '/preferences', name: 'preferences', component: () => import('./pages/guardian/MyPreferences.vue'), meta: { requires: 'guardian', tabs: true } },
  // The teacher's phone pages; the visit pages open offline too (services/portal/web/public/sw.js)
  { path: '/teacher', name: 'teacher-home', component: () => import('./pages/teacher/MyClasses.vue'), meta: { requires: 'teacher', teacherTabs: true } },
  { path: '/teacher/classes/:classId', name: 'teacher-class', component: () => import('./pages/teacher/ClassDetail.vue'), props: true, meta: { requires: 'teacher', teacherTabs: true } },
  { path: '/teacher/classes/:classId/plan', name: 'teacher-term-plan', component: () => import('./pages/teacher/TermPlan.vue'), props: true, meta: { requires: 'teacher' } },
  { path: '/teacher/classes/:classId/meetings/new', name: 'teacher-meeting-new', component: () => import('./pages/teacher/MeetingNew.vue'), props: true, meta: { requires: 'teacher' } },
  { path: '/teacher/meetings/:meetingId', name: 'teacher-meeting', component: () => import('./pages/teacher/MeetingDetail.vue'), props: true, meta: { requires: 'teacher' } },
  { path: '/teacher/calendar', name: 'teacher-calendar', component: () => import('./pages/teacher/TeacherCalendar.vue'), meta: { requires: 'teacher', teacherTabs: true } },
  { path: '/teacher/visits/new', name: 'teacher-visit-new', component: () => import('./pages/teacher/VisitLog.vue'), meta: { requires: 'teacher' } },
  { path: '/teacher/visits/:visitId/outcome', name: 'teacher-visit-outcome', component: () => import('./pages/teacher/VisitOutcome.vue'), props: true, meta: { requires: 'teacher' } },
  { path: '/teacher/outbox', name: 'teacher-outbox', component: () => import('./pages/teacher/OutboxList.vue'), meta: { requires: 'teacher', teacherTabs: true } },
  // The desks: the school admin's console (校长、德育主任), the partner's pages, the bureau's console
  { path: '/console', name: 'console-home', component: () => import('./pages/console/school/SchoolReport.vue'), meta: { requires: 'school_admin', console: true } },
  { path: '/console/registry', name: 'console-registry', component: () => import('./pages/console/school/RegistryPage.vue'), meta: { requires: 'school_admin', console: true } },
  { path: '/console/students/:studentId', name: 'console-student', component: () => import('./pages/console/school/StudentDetail.vue'), props: true, meta: { requires: 'school_admin', console: true } },
  { path: '/console/roster', name: 'console-roster', component: () => import('./pages/console/school/RosterImport.vue'), meta: { requires: 'school_admin', console: true } },
  { path: '/console/organisation', name: 'console-organisation', component: () => import('./pages/console/school/OrganisationPage.vue'), meta: { requires: 'school_admin', console: true } },
  { path: '/console/meetings', name: 'console-meetings', component: () => import('./pages/console/school/MeetingsPage.vue'), meta: { requires: 'school_admin', console: true } },
  { path: '/console/meetings/:meetingId', name: 'console-meeting', component: () => import('./pages/console/school/MeetingRecord.vue'), props: true, meta: { requires: 'school_admin', console: true } },
  { path: '/console/tickets', name: 'console-tickets', component: () => import('./pages/console/school/TicketsPage.vue'), meta: { requires: 'school_admin', console: true } },
  { path: '/console/letters', name: 'console-letters', component: () => import('./pages/console/school/LettersPage.vue'), meta: { requires: 'school_admin', console: true } },
  { path: '/console/letters/:announcementId', name: 'console-letter', component: () => import('./pages/console/school/LetterDetail.vue'), props: true, meta: { requires: 'school_admin', console: true } },
  { path: '/console/submissions', name: 'console-submissions', component: () => import('./pages/console/school/MonthlySubmission.vue'), meta: { requires: 'school_admin', console: true } },
  { path: '/partner', name: 'partner-home', component: () => import('./pages/console/partner/PartnerHome.vue'), meta: { requires: 'partner', console: true } },
  { path: '/partner/activities/new', name: 'partner-activity-new', component: () => import('./pages/console/partner/ActivityNew.vue'), meta: { requires: 'partner', console: true } },
  { path: '/bureau', name: 'bureau-home', component: () => import('./pages/console/bureau/BureauDashboard.vue'), meta: { requires: 'bureau', console: true } },
  { path: '/bureau/bulletins', name: 'bureau-bulletins', component: () => import('./pages/console/bureau/BulletinPage.vue'), meta: { requires: 'bureau', console: true } },
  { path: '/bureau/policy', name: 'bureau-policy', component: () => import('./pages/console/bureau/PolicyEditor.vue'), meta: { requires: 'bureau', console: true } },
  { path: '/bureau/rebuild', name: 'bureau-rebuild', component: () => import('./pages/console/bureau/RebuildPage.vue'), meta: { requires: 'bureau', console: true } },
  { path: '/l', name: 'link', component: () => import('./pages/shared/LinkOpen.vue') },
  { path: '/link-expired', name: 'link-expired', component: () => import('./pages/shared/LinkProblem.vue') },
  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('./pages/shared/PageNotFound.vue') },
]

// A page of one role's desk opens for that role only; anyone else goes to their own home.
const DESK_ROLES = new Set<string | undefined>(['school_admin', 'partner', 'bureau'])

export const router = createRouter({
  history: createWebHistory('/'),
  routes,
  scrollBehavior: () => ({ top: 0 }),
})

export async function guard(to: RouteLocationNormalized) {
  const { load } = useSession()
  let user
  try {
    user = await load()
  } catch {
    user = null // the portal is unreachable: public pages still open; others go to sign-in
  }
  const link = user?.link ?? null
  if (to.name === 'home') {
    if (link) return `/messages/${encodeURIComponent(link.message_id)}`
    return homeOf(user?.role)
  }
  if (to.meta.signIn) {
    return user && !link ? homeOf(user.role) : true
  }
  if (!to.meta.requires) return true
  if (!user) return { path: to.meta.requires === 'guardian' ? '/sign-in' : '/staff/sign-in', query: { next: to.fullPath } }
  if (to.meta.requires === 'guardian' && user.role !== 'guardian') return homeOf(user.role)
  if (to.meta.requires === 'staff' && user.role === 'guardian') return '/inbox'
  if (DESK_ROLES.has(to.meta.requires) && user.role !== to.meta.requires) return homeOf(user.role)
  if (to.meta.requires === 'teacher' && user.role !== 'teacher') return homeOf(user.role)
  if (link && !(to.name === 'message' && to.params.id === link.message_id)) {
    // A link session acts on its one message only; anything more needs a sign-in.
    return { path: '/sign-in', query: { next: to.fullPath } }
  }
  return true
}

router.beforeEach(guard)

// The session ended under an open page (expired, signed out elsewhere): forget it and sign in again,
// on the staff page for a teacher's or staff page (the visits waiting on the phone stay in IndexedDB).
onUnauthenticated(() => {
  const here = router.currentRoute.value
  if (!here.meta.requires) return
  const signIn = here.meta.requires === 'guardian' ? '/sign-in' : '/staff/sign-in'
  void useSession()
    .load(true)
    .catch(() => null)
    .then(() => router.replace({ path: signIn, query: { next: here.fullPath } }))
})

// A page's chunk that cannot be loaded: a new build replaced the files this open page was built
// with (the service worker holds only one build's files), or the network failed mid-load. Online,
// load the page once afresh (the new index.html names the new chunks); a flag in sessionStorage
// keeps a chunk that is really broken from reloading without end.
const RELOADED_FOR = 'portal_chunk_reload'
router.onError((error: unknown, to: RouteLocationNormalized) => {
  const message = error instanceof Error ? error.message : String(error)
  const chunk = /dynamically imported module|Importing a module script failed|Unable to preload CSS/i.test(message)
  if (!chunk || typeof window === 'undefined' || !navigator.onLine) return
  try {
    if (sessionStorage.getItem(RELOADED_FOR) === to.fullPath) return
    sessionStorage.setItem(RELOADED_FOR, to.fullPath)
  } catch {
    return // no sessionStorage: no way to reload only once
  }
  window.location.assign(to.fullPath)
})
router.afterEach(() => {
  try {
    sessionStorage.removeItem(RELOADED_FOR)
  } catch {
    // nothing kept
  }
})
