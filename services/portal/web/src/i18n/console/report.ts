// The console's words for 学校报表 (SchoolReport), zh-CN first, with their English.

export const reportZhCN = {
  'report.title': 'report',
}

export const reportEn: Record<keyof typeof reportZhCN, string> = {
  'report.title': 'report',
}
