import { watchEffect } from 'vue'
import { translate, useI18n, type MessageKey } from '../i18n'

/** Each page names itself in the tab and to screen readers: "<page> - 家校社协同育人". */
export function usePageTitle(key: MessageKey) {
  const { locale } = useI18n()
  watchEffect(() => {
    document.title = `${translate(locale.value, key)} - ${translate(locale.value, 'app.name')}`
  })

}
