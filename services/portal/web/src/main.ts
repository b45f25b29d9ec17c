import 'vant/lib/index.css'
import './styles.css'
import { createApp } from 'vue'
import App from './App.vue'
import { startOutbox } from './composables/useOutbox'
import { registerServiceWorker } from './lib/serviceWorker'
import { router } from './router'

createApp(App).use(router).mount('#app')
startOutbox()
registerServiceWorker()
