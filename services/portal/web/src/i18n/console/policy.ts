// The console's words for 教育局的政策指标与重建报表 (PolicyEditor, RebuildPage), zh-CN first, with their English.

export const policyZhCN = {
  'policy.title': 'policy',
}

export const policyEn: Record<keyof typeof policyZhCN, string> = {
  'policy.title': 'policy',
}
