// Builds every served variant of src/tracker.js into dist/ (or the folder
// given as the first argument). A variant is a set of extensions; its file is
// script.<ext>.<ext>.js with the extensions in the canonical order below, the
// order tracker.go puts a requested name in before looking it up.
import { build } from 'esbuild'
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('.', import.meta.url))

// Canonical order of the extensions, with the constant each one turns on.
export const extensions = [
  ['hash', 'HASH'],
  ['outbound-links', 'OUTBOUND'],
  ['file-downloads', 'FILES'],
  ['tagged-events', 'TAGGED'],
  ['manual', 'MANUAL'],
]

// variants lists every subset of the extensions as {file, flags}.
export function variants() {
  const out = []
  for (let mask = 0; mask < 1 << extensions.length; mask++) {
    const names = []
    const flags = {}
    extensions.forEach(([name, constant], i) => {
      const on = (mask & (1 << i)) != 0
      flags[constant] = on
      if (on) names.push(name)
    })
    out.push({ file: ['script', ...names, 'js'].join('.'), flags })
  }
  return out.sort((a, b) => a.file.localeCompare(b.file))
}

// buildVariant returns the minified code for one set of flags.
export async function buildVariant(flags, { minify = true } = {}) {
  const define = {}
  for (const [, constant] of extensions) define[constant] = String(Boolean(flags[constant]))
  const result = await build({
    entryPoints: [join(here, 'src/tracker.js')],
    define,
    minify,
    target: 'es2017',
    legalComments: 'none',
    bundle: true,
    format: 'iife',
    write: false,
    logLevel: 'silent',
  })
  return result.outputFiles[0].text
}

// buildAll writes every variant to dir, removing stale .js files first.
export async function buildAll(dir) {
  await mkdir(dir, { recursive: true })
  for (const f of await readdir(dir)) if (f.endsWith('.js')) await rm(join(dir, f))
  const built = []
  for (const v of variants()) {
    const code = await buildVariant(v.flags)
    await writeFile(join(dir, v.file), code)
    built.push({ file: v.file, bytes: Buffer.byteLength(code) })
  }
  return built
}

if (process.argv[1] && fileURLToPath(import.meta.url) == process.argv[1]) {
  const dir = process.argv[2] || join(here, 'dist')
  const built = await buildAll(dir)
  console.log(`built ${built.length} files into ${dir}`)
}
