import assert from 'node:assert/strict'
import { test } from 'node:test'
import { load } from './fakebrowser.js'

// A page 5000 px tall in a 1000 px viewport, and a clock the test moves.
async function tall(opts = {}) {
  const clock = { t: 1_000_000 }
  const page = await load({
    window: { Date: { now: () => clock.t }, scrollY: 0, innerHeight: 1000 },
    before(win) {
      win.document.documentElement = { scrollHeight: 5000 }
      win.document.hidden = false
    },
    ...opts,
  })
  page.wait = (ms) => (clock.t += ms)
  page.engagements = () => page.events().filter((e) => e.n == 'engagement')
  return page
}

test('hiding the page reports its deepest scroll and visible time, as Plausible does', async () => {
  const page = await tall()
  page.wait(1000)
  page.scroll(2000) // the viewport's bottom at 3000 of 5000 px: 60 %
  page.wait(2000)
  page.scroll(500) // scrolling back up keeps the deepest
  page.visibility(true)
  const [e] = page.engagements()
  assert.equal(e.u, 'https://example.com/')
  assert.equal(e.d, 'example.com')
  assert.equal(Math.round(e.sd), 60)
  assert.equal(e.e, 3000)
  assert.deepEqual(page.names(), ['pageview', 'engagement'])
})

test('time while hidden does not count, and each report carries only new time', async () => {
  const page = await tall()
  page.wait(1500)
  page.visibility(true)
  page.wait(60_000) // another tab
  page.visibility(false)
  page.wait(2000)
  page.visibility(true)
  assert.deepEqual(page.engagements().map((e) => e.e), [1500, 2000])
})

test('an SPA navigation closes one page view\'s engagement and opens the next', async () => {
  const page = await tall()
  page.wait(2000)
  page.history.pushState({}, '', '/b')
  page.scroll(4000)
  page.wait(4000)
  page.visibility(true)
  const got = page.events().map((e) => [e.n, e.u, e.sd && Math.round(e.sd), e.e])
  assert.deepEqual(got, [
    ['pageview', 'https://example.com/', undefined, undefined],
    ['engagement', 'https://example.com/', 20, 2000], // never scrolled: the first viewport, 20 %
    ['pageview', 'https://example.com/b', undefined, undefined],
    ['engagement', 'https://example.com/b', 100, 4000],
  ])
})

test('less than a second is not reported, and a manual script reports nothing', async () => {
  const page = await tall()
  page.wait(900)
  page.visibility(true)
  assert.deepEqual(page.names(), ['pageview'])
  const manual = await tall({ file: 'script.manual.js' })
  manual.wait(5000)
  manual.visibility(true)
  assert.deepEqual(manual.names(), [])
})
