import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { test } from 'node:test'
import { gzipSync } from 'node:zlib'
import { variants } from '../build.mjs'
import { code, load } from './fakebrowser.js'

// The most the default script.js may weigh after gzip -9.
const budget = 1024
const dist = new URL('../dist/', import.meta.url)

test(`dist/script.js is at most ${budget} bytes after gzip -9`, async () => {
  const body = await readFile(new URL('script.js', dist))
  const size = gzipSync(body, { level: 9 }).length
  console.log(`script.js: ${body.length} bytes, ${size} gzipped`)
  assert.ok(size <= budget, `script.js is ${size} bytes gzipped, over ${budget}`)
})

test('every combination of the extensions is built, in canonical order', async () => {
  const files = variants().map((v) => v.file)
  assert.equal(files.length, 32)
  assert.ok(files.includes('script.hash.outbound-links.file-downloads.tagged-events.manual.js'))
  assert.deepEqual((await readdir(dist)).filter((f) => f.endsWith('.js')).sort(), [...files].sort())
})

test('dist/ holds what the source builds to', async () => {
  for (const { file } of variants()) {
    assert.equal(await readFile(new URL(file, dist), 'utf8'), await code(file), `dist/${file} is stale: npm run build`)
  }
})

test('every variant runs and counts the page unless it is manual', async () => {
  for (const { file, flags } of variants()) {
    const page = await load({ file })
    if (flags.MANUAL) page.window.tally('pageview')
    assert.deepEqual(page.names(), ['pageview'], file)
    assert.equal(page.events()[0].h, flags.HASH ? 1 : undefined, file)
  }
})
