/// <reference types="vitest/config" />
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

// The portal (FastAPI, port 8000) is the one origin the browser talks to; in development Vite
// stands in front of it and forwards everything that is not the app itself.
const portal = 'http://127.0.0.1:8000'

export default defineConfig({
  base: '/',
  plugins: [vue()],
  build: { outDir: 'dist', emptyOutDir: true },
  server: {
    proxy: {
      '/api': portal,
      '/auth': portal,
      '/l': portal,
      '/.well-known': portal,
    },
  },
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
  },
})
