// The teacher's phone pages: words for the classes pages, zh-CN first, with their English.

export const classesZhCN = {
}

export const classesEn: Record<keyof typeof classesZhCN, string> = {
}
