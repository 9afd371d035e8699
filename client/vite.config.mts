import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The Express server serves dist/public; hashed files land in dist/public/assets.
export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist/public',
    emptyOutDir: true,
    // Every supported browser has modulepreload; skipping the polyfill keeps the bundle small.
    modulePreload: { polyfill: false },
  },
  server: {
    host: '127.0.0.1',
    port: Number(process.env.PORT ?? 3000),
    strictPort: true,
    // Reached through the ingress as posts.com too, not only as localhost.
    allowedHosts: ['posts.com'],
  },
});
