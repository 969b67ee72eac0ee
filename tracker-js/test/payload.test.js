import assert from 'node:assert/strict'
import { test } from 'node:test'
import { load } from './fakebrowser.js'

test('a pageview on load, as text/plain with keepalive to the script origin', async () => {
  const page = await load({ url: 'https://example.com/pricing?utm_source=x#top' })
  assert.equal(page.requests.length, 1)
  const { api, init } = page.requests[0]
  assert.equal(api, 'https://stats.example/api/event')
  assert.equal(init.method, 'POST')
  assert.equal(init.keepalive, true)
  assert.deepEqual({ ...init.headers }, { 'Content-Type': 'text/plain' })
  assert.deepEqual(JSON.parse(init.body), {
    n: 'pageview',
    u: 'https://example.com/pricing?utm_source=x#top',
    d: 'example.com',
    r: null,
    w: 1280,
  })
})

test('the referrer, data-api and a list of domains are sent as given', async () => {
  const page = await load({
    referrer: 'https://news.ycombinator.com/',
    attrs: { 'data-domain': 'example.com,rollup.example', 'data-api': '/stats/event', src: 'https://cdn.example/js/script.js' },
  })
  assert.equal(page.requests[0].api, '/stats/event')
  const [event] = page.events()
  assert.equal(event.r, 'https://news.ycombinator.com/')
  assert.equal(event.d, 'example.com,rollup.example')
})

test('hash mode marks every event with h: 1', async () => {
  const page = await load({ file: 'script.hash.js', url: 'https://example.com/#/app' })
  page.window.tally('Signup')
  assert.deepEqual(
    page.events().map((e) => [e.n, e.u, e.h]),
    [
      ['pageview', 'https://example.com/#/app', 1],
      ['Signup', 'https://example.com/#/app', 1],
    ]
  )
})

test('only hash builds send h', async () => {
  const page = await load()
  assert.equal('h' in page.events()[0], false)
})

test('custom events carry props only when there are some, and may set the URL', async () => {
  const page = await load()
  page.window.tally('Signup', { props: { plan: 'pro', seats: 3 } })
  page.window.tally('Empty', { props: {} })
  page.window.plausible('Moved', { u: 'https://example.com/virtual' })
  const [, signup, empty, moved] = page.events()
  assert.deepEqual(signup, { n: 'Signup', u: 'https://example.com/', d: 'example.com', r: null, w: 1280, p: { plan: 'pro', seats: 3 } })
  assert.equal('p' in empty, false)
  assert.equal(moved.u, 'https://example.com/virtual')
})

test('the callback hears the status, and a 503 is not retried', async () => {
  const page = await load({ status: 503 })
  const heard = []
  page.window.tally('Signup', { callback: (r) => heard.push(r) })
  await page.settle()
  await new Promise((resolve) => setTimeout(resolve, 50))
  // The callback's argument comes from the page's realm: compare its fields.
  assert.deepEqual(heard.map((r) => ({ ...r })), [{ status: 503 }])
  assert.equal(page.requests.length, 2, 'one pageview, one event, no retry')
})

test('a network error reaches the callback and is not thrown', async () => {
  const failure = new TypeError('Failed to fetch')
  const page = await load({ status: failure })
  const heard = []
  page.window.tally('Signup', { callback: (r) => heard.push(r) })
  await page.settle()
  assert.equal(heard.length, 1)
  assert.equal(heard[0].error, failure)
})

test('sendBeacon carries the event where fetch is missing', async () => {
  const page = await load({ fetch: false })
  let called = 0
  page.window.tally('Signup', { callback: () => called++ })
  assert.deepEqual(
    page.requests.map((r) => [r.beacon, r.api]),
    [
      [true, 'https://stats.example/api/event'],
      [true, 'https://stats.example/api/event'],
    ]
  )
  assert.deepEqual(page.names(), ['pageview', 'Signup'])
  assert.equal(called, 1)
})

test('no cookie and no storage is ever written', async () => {
  for (const file of ['script.js', 'script.hash.outbound-links.file-downloads.tagged-events.js', 'script.manual.js']) {
    const page = await load({ file, storage: { tally_ignore: 'false' } })
    page.window.tally('Signup', { props: { a: 'b' } })
    page.history.pushState({}, '', '/next')
    assert.deepEqual(page.writes, [], file)
  }
})

test('a page without the script tag sends nothing and does not throw', async () => {
  const page = await load({
    before(win) {
      win.document.currentScript = null
      win.document.querySelector = () => null
    },
  })
  let called = 0
  page.window.tally('Signup', { callback: () => called++ })
  assert.equal(page.requests.length, 0)
  assert.equal(called, 1)
})
