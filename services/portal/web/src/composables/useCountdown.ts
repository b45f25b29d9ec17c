import { computed, onBeforeUnmount, ref } from 'vue'

/** Seconds left before something may be asked again (the SMS code: once per 60 s). */
export function useCountdown(seconds: number) {
  const left = ref(0)
  let timer: ReturnType<typeof setInterval> | undefined

  function stop(): void {
    if (timer !== undefined) clearInterval(timer)
    timer = undefined
  }

  function start(from = seconds): void {
    stop()
    left.value = from
    timer = setInterval(() => {
      left.value -= 1
      if (left.value <= 0) {
        left.value = 0
        stop()
      }
    }, 1000)
  }

  onBeforeUnmount(stop)
  return { left, running: computed(() => left.value > 0), start, stop }
}
