// The console's words for 共建单位的页面 (PartnerHome, ActivityNew), zh-CN first, with their English.

export const partnerZhCN = {
  'partner.title': 'partner',
}

export const partnerEn: Record<keyof typeof partnerZhCN, string> = {
  'partner.title': 'partner',
}
