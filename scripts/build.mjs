// Compiles every lib and service from src/ to dist/ with swc (TypeScript 5.9 type-checks
// separately: `npm run typecheck`), and bundles the web console with esbuild. Only files newer
// than their output are compiled again.
import { readFileSync, readdirSync, statSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildConsole } from './build-console.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function build({ quiet = false } = {}) {
  const swc = await import('@swc/core');
  const options = JSON.parse(readFileSync(join(root, '.swcrc'), 'utf8'));
  delete options.$schema;
  let compiled = 0;
  for (const group of ['apps', 'libs', 'services']) {
    const groupDir = join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const pkg of readdirSync(groupDir)) {
      const src = join(groupDir, pkg, 'src');
      if (!existsSync(src)) continue;
      for (const file of walk(src)) {
        if (!file.endsWith('.ts') || file.endsWith('.spec.ts') || file.endsWith('.d.ts')) continue;
        const out = join(groupDir, pkg, 'dist', relative(src, file)).replace(/\.ts$/, '.js');
        if (existsSync(out) && statSync(out).mtimeMs >= statSync(file).mtimeMs) continue;
        const result = await swc.transformFile(file, {
          ...options,
          swcrc: false,
          filename: file,
          sourceFileName: relative(dirname(out), file),
        });
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, `${result.code}\n//# sourceMappingURL=${out.split('/').pop()}.map`);
        writeFileSync(`${out}.map`, result.map ?? '');
        compiled++;
      }
    }
  }
  if (!quiet) console.log(`build: ${compiled} file(s) compiled`);
  await buildConsole(root, { quiet });
  return compiled;
}

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  build().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
