// The console's words for 致家长的一封信与月度报送 (LettersPage, LetterDetail, MonthlySubmission), zh-CN first, with their English.

export const lettersZhCN = {
  'letters.title': 'letters',
}

export const lettersEn: Record<keyof typeof lettersZhCN, string> = {
  'letters.title': 'letters',
}
