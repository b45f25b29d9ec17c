// The console's words for 教育局：看板、通报、政策、重建 (BureauDashboard, BulletinPage, PolicyEditor, RebuildPage), zh-CN first, with their English.

export const bureauZhCN = {
  'bureau.title': 'bureau',
}

export const bureauEn: Record<keyof typeof bureauZhCN, string> = {
  'bureau.title': 'bureau',
}
