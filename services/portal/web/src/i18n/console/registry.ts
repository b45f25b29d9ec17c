// The console's words for 学籍、教职工与名册导入 (RegistryPage, StudentDetail, RosterImport), zh-CN first, with their English.

export const registryZhCN = {
  'registry.title': 'registry',
}

export const registryEn: Record<keyof typeof registryZhCN, string> = {
  'registry.title': 'registry',
}
