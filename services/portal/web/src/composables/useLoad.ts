import { ref, shallowRef, type Ref } from 'vue'
import { errorText } from './useApi'

/** A page's data, fetched once on open and again on "重试", with its loading and error state. */
export function useLoad<T>(fetcher: () => Promise<T>) {
  const data = shallowRef<T | null>(null) as Ref<T | null>
  const error = ref('')
  const loading = ref(false)

  async function reload(): Promise<void> {
    loading.value = true
    error.value = ''
    try {
      data.value = await fetcher()
    } catch (failure) {
      error.value = errorText(failure)
    } finally {
      loading.value = false
    }
  }

  void reload()
  return { data, error, loading, reload }
}
