import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into the server's dist/ so `quayside serve` finds it beside the compiled server code.
// QUAYSIDE_WEB_OUT lets a parallel test run build into its own directory.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: process.env.QUAYSIDE_WEB_OUT ?? '../dist/web',
    emptyOutDir: true,
    chunkSizeWarningLimit: 4096,
    sourcemap: false,
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/config': 'http://127.0.0.1:8080',
      '/csrf_token': 'http://127.0.0.1:8080',
      '/v2': 'http://127.0.0.1:8080',
    },
  },
});
