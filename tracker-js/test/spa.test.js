import assert from 'node:assert/strict'
import { test } from 'node:test'
import { load } from './fakebrowser.js'

const urls = (page) => page.events().map((e) => [e.n, e.u])

test('pushState and replaceState count each new URL once', async () => {
  const page = await load()
  page.history.pushState({}, '', '/a')
  page.history.pushState({}, '', '/b')
  page.history.pushState({}, '', '/b')
  page.history.replaceState({ scroll: 10 }, '')
  page.history.replaceState({}, '', '/b')
  page.history.replaceState({}, '', '/c')
  assert.deepEqual(urls(page), [
    ['pageview', 'https://example.com/'],
    ['pageview', 'https://example.com/a'],
    ['pageview', 'https://example.com/b'],
    ['pageview', 'https://example.com/c'],
  ])
})

test('the patched history methods still work and return what the originals did', async () => {
  const calls = []
  const page = await load({
    before(win) {
      const push = win.history.pushState
      win.history.pushState = function (...args) {
        calls.push(this)
        push.apply(this, args)
        return 'original'
      }
    },
  })
  assert.equal(page.history.pushState({}, '', '/a'), 'original')
  assert.equal(calls[0], page.history)
  assert.equal(page.location.pathname, '/a')
})

test('popstate counts a new URL, and going back to a page counts it again', async () => {
  const page = await load({ url: 'https://example.com/a' })
  page.history.pushState({}, '', '/b')
  page.back('https://example.com/a')
  page.back('https://example.com/a')
  assert.deepEqual(urls(page), [
    ['pageview', 'https://example.com/a'],
    ['pageview', 'https://example.com/b'],
    ['pageview', 'https://example.com/a'],
  ])
})

test('without hash mode a fragment is not a new page and hashchange is not heard', async () => {
  const page = await load()
  page.history.pushState({}, '', '#section')
  page.hashchange('#other')
  assert.equal(page.listeners('hashchange', 'window'), 0)
  assert.deepEqual(page.names(), ['pageview'])
})

test('in hash mode every fragment is a page, once', async () => {
  const page = await load({ file: 'script.hash.js', url: 'https://example.com/#/' })
  page.hashchange('#/settings')
  page.hashchange('#/settings')
  page.history.pushState({}, '', '#/profile')
  page.back('https://example.com/#/profile')
  assert.deepEqual(urls(page), [
    ['pageview', 'https://example.com/#/'],
    ['pageview', 'https://example.com/#/settings'],
    ['pageview', 'https://example.com/#/profile'],
  ])
})

test('a query string change is a new URL', async () => {
  const page = await load()
  page.history.pushState({}, '', '/?page=2')
  assert.deepEqual(page.names(), ['pageview', 'pageview'])
})

test('manual mode sends nothing by itself and leaves history alone', async () => {
  const page = await load({ file: 'script.manual.js' })
  const push = page.history.pushState
  assert.equal(page.requests.length, 0)
  page.history.pushState({}, '', '/a')
  page.back('https://example.com/')
  assert.equal(page.requests.length, 0)
  assert.equal(page.history.pushState, push)
  page.window.plausible('pageview', { u: 'https://example.com/user/:id' })
  page.window.tally('pageview')
  page.window.tally('pageview')
  assert.deepEqual(urls(page), [
    ['pageview', 'https://example.com/user/:id'],
    ['pageview', 'https://example.com/'],
    ['pageview', 'https://example.com/'],
  ])
})

test('a prerendered page counts only once it is shown', async () => {
  let doc
  const page = await load({
    before(win) {
      doc = win.document
      doc.prerendering = true
    },
  })
  assert.equal(page.requests.length, 0)
  doc.prerendering = false
  doc.dispatch('prerenderingchange')
  assert.deepEqual(page.names(), ['pageview'])
})
