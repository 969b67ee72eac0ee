import assert from 'node:assert/strict'
import { test } from 'node:test'
import { load } from './fakebrowser.js'

// The snippet sites put before the script tag, for window.plausible or window.tally.
function snippet(win, name) {
  win[name] =
    win[name] ||
    function () {
      ;(win[name].q = win[name].q || []).push(arguments)
    }
}

test('calls queued on window.plausible before load are sent, in order, after the pageview', async () => {
  const heard = []
  const page = await load({
    before(win) {
      snippet(win, 'plausible')
      win.plausible('Signup', { props: { plan: 'pro' } })
      win.plausible('Download', { callback: () => heard.push('Download') })
    },
  })
  assert.deepEqual(page.names(), ['pageview', 'Signup', 'Download'])
  assert.deepEqual(page.events()[1].p, { plan: 'pro' })
  await page.settle()
  assert.deepEqual(heard, ['Download'])
})

test('window.tally queues too, and both names end up the same function', async () => {
  const page = await load({
    before(win) {
      snippet(win, 'tally')
      snippet(win, 'plausible')
      win.tally('One')
      win.plausible('Two')
    },
  })
  assert.deepEqual(page.names(), ['pageview', 'One', 'Two'])
  assert.equal(page.window.tally, page.window.plausible)
})

test('one queue under both names is replayed once', async () => {
  const page = await load({
    before(win) {
      snippet(win, 'plausible')
      win.tally = win.plausible
      win.plausible('Once')
    },
  })
  assert.deepEqual(page.names(), ['pageview', 'Once'])
})

test('a queued pageview is how manual mode counts the first page', async () => {
  const page = await load({
    file: 'script.manual.js',
    before(win) {
      snippet(win, 'plausible')
      win.plausible('pageview', { u: 'https://example.com/product/:id' })
    },
  })
  assert.deepEqual(page.events().map((e) => [e.n, e.u]), [['pageview', 'https://example.com/product/:id']])
})

test('without a snippet there is nothing to replay', async () => {
  const page = await load()
  assert.deepEqual(page.names(), ['pageview'])
  assert.equal(typeof page.window.tally, 'function')
})
