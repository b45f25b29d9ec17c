// The console's words for 会议、开放日、家长学校、接待日与家长诉求 (MeetingsPage, MeetingRecord, TicketsPage), zh-CN first, with their English.

export const meetingsZhCN = {
  'meetings.title': 'meetings',
}

export const meetingsEn: Record<keyof typeof meetingsZhCN, string> = {
  'meetings.title': 'meetings',
}
