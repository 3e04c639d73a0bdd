// Bundles the web console (services/admin-api/console) with esbuild into
// services/admin-api/dist/public: index.html, one JS and one CSS file named by their content hash,
// and manifest.json. Everything the browser loads comes from there: no CDN, no network at run time.
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

export async function buildConsole(root, { quiet = false } = {}) {
  const source = join(root, 'services', 'admin-api', 'console');
  const out = join(root, 'services', 'admin-api', 'dist', 'public');
  const manifestPath = join(out, 'manifest.json');
  if (!existsSync(source)) return null;
  if (existsSync(manifestPath) && newest(source) <= statSync(manifestPath).mtimeMs)
    return JSON.parse(readFileSync(manifestPath, 'utf8'));

  const esbuild = await import('esbuild');
  rmSync(out, { recursive: true, force: true });
  const result = await esbuild.build({
    entryPoints: { app: join(source, 'src', 'main.tsx') },
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    entryNames: '[name]-[hash]',
    outdir: join(out, 'assets'),
    metafile: true,
    legalComments: 'none',
    logLevel: 'silent',
    absWorkingDir: root,
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => basename(file));
  const js = outputs.find((f) => f.endsWith('.js'));
  const css = outputs.find((f) => f.endsWith('.css'));
  const html = readFileSync(join(source, 'index.html'), 'utf8')
    .replace('%APP_JS%', `/assets/${js}`)
    .replace('%APP_CSS%', `/assets/${css}`);
  writeFileSync(join(out, 'index.html'), html);
  const manifest = { index: 'index.html', assets: outputs.map((f) => `assets/${f}`) };
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  if (!quiet) console.log(`build: console bundled (${outputs.join(', ')})`);
  return manifest;
}

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}
