// Fails when dist/ is not what `npm run build` makes from the current source:
// the Go binary embeds dist/, so a stale build would ship old behaviour.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildAll } from './build.mjs'

const dist = fileURLToPath(new URL('dist', import.meta.url))
const tmp = await mkdtemp(join(tmpdir(), 'tally-tracker-'))
const problems = []
try {
  await buildAll(tmp)
  const want = (await readdir(tmp)).sort()
  const have = (await readdir(dist)).filter((f) => f.endsWith('.js')).sort()
  for (const f of want) {
    if (!have.includes(f)) problems.push(`missing dist/${f}`)
    else if (!(await readFile(join(tmp, f))).equals(await readFile(join(dist, f)))) problems.push(`stale dist/${f}`)
  }
  for (const f of have) if (!want.includes(f)) problems.push(`extra dist/${f}`)
} finally {
  await rm(tmp, { recursive: true, force: true })
}
if (problems.length) {
  console.error(problems.join('\n') + '\ndist/ is out of date: run `npm run build` in tracker-js and commit dist/')
  process.exit(1)
}
console.log('dist/ matches the source')
