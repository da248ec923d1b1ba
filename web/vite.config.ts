import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const COMPRESSIBLE = /\.(js|css|html|svg|json|txt)$/;

/** Writes a .gz beside every text asset, so the server sends compressed bytes without compressing per request. */
function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'quayside-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    writeBundle() {
      const walk = (dir: string): string[] =>
        readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
          entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
        );
      for (const file of walk(outDir)) {
        if (COMPRESSIBLE.test(file)) writeFileSync(`${file}.gz`, gzipSync(readFileSync(file), { level: 9 }));
      }
    },
  };
}

// Built into the server's dist/ so `quayside serve` finds it beside the compiled server code.
// QUAYSIDE_WEB_OUT lets a parallel test run build into its own directory.
export default defineConfig({
  plugins: [react(), precompress()],
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
