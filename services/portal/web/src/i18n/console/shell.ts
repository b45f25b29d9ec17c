// The desks' frame: the menu of each role's console, zh-CN first, with their English.

export const shellZhCN = {
  'console.menu': '功能菜单',
  'console.menu.report': '学校报表',
  'console.menu.registry': '学籍与教职工',
  'console.menu.roster': '名册导入',
  'console.menu.organisation': '共建与家委会',
  'console.menu.meetings': '会议与活动',
  'console.menu.tickets': '家长诉求',
  'console.menu.letters': '致家长的一封信',
  'console.menu.submissions': '月度报送',
  'console.menu.partnerHome': '我的共建',
  'console.menu.partnerActivity': '登记共建活动',
  'console.menu.dashboard': '数据看板',
  'console.menu.bulletins': '通报',
  'console.menu.policy': '政策指标',
  'console.menu.rebuild': '重建报表',
}

export const shellEn: Record<keyof typeof shellZhCN, string> = {
  'console.menu': 'Menu',
  'console.menu.report': 'School report',
  'console.menu.registry': 'Registry and staff',
  'console.menu.roster': 'Roster import',
  'console.menu.organisation': 'Partners and committees',
  'console.menu.meetings': 'Meetings and events',
  'console.menu.tickets': 'Guardian requests',
  'console.menu.letters': 'Letters to guardians',
  'console.menu.submissions': 'Monthly submission',
  'console.menu.partnerHome': 'My co-building',
  'console.menu.partnerActivity': 'Log an activity',
  'console.menu.dashboard': 'Dashboard',
  'console.menu.bulletins': 'Bulletins',
  'console.menu.policy': 'Policy targets',
  'console.menu.rebuild': 'Rebuild reports',
}
