// The teacher's phone pages: words for the visits pages, zh-CN first, with their English.

export const visitsZhCN = {
}

export const visitsEn: Record<keyof typeof visitsZhCN, string> = {
}
