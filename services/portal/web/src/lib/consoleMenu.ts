/** Each desk role's menu: where its pages are, in the order people work through them. */
export interface ConsoleMenuItem {
  path: string
  label: string // an i18n key (i18n/console/shell.ts)
}

const MENUS: Record<string, ConsoleMenuItem[]> = {
  school_admin: [
    { path: '/console', label: 'console.menu.report' },
    { path: '/console/registry', label: 'console.menu.registry' },
    { path: '/console/roster', label: 'console.menu.roster' },
    { path: '/console/organisation', label: 'console.menu.organisation' },
    { path: '/console/meetings', label: 'console.menu.meetings' },
    { path: '/console/tickets', label: 'console.menu.tickets' },
    { path: '/console/letters', label: 'console.menu.letters' },
    { path: '/console/submissions', label: 'console.menu.submissions' },
  ],
  partner: [
    { path: '/partner', label: 'console.menu.partnerHome' },
    { path: '/partner/activities/new', label: 'console.menu.partnerActivity' },
  ],
  bureau: [
    { path: '/bureau', label: 'console.menu.dashboard' },
    { path: '/bureau/bulletins', label: 'console.menu.bulletins' },
    { path: '/bureau/policy', label: 'console.menu.policy' },
    { path: '/bureau/rebuild', label: 'console.menu.rebuild' },
  ],
}

export function consoleMenu(role: string | undefined): ConsoleMenuItem[] {
  return (role && MENUS[role]) || []
}
