// The console's words for 共建、家委会 (OrganisationPage), zh-CN first, with their English.

export const organisationZhCN = {
  'organisation.title': 'organisation',
}

export const organisationEn: Record<keyof typeof organisationZhCN, string> = {
  'organisation.title': 'organisation',
}
