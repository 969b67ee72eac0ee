import assert from 'node:assert/strict'
import { test } from 'node:test'
import { load } from './fakebrowser.js'

const skipped = {
  'navigator.doNotTrack': { navigator: { doNotTrack: '1' } },
  'window.doNotTrack': { window: { doNotTrack: '1' } },
  'navigator.msDoNotTrack': { navigator: { msDoNotTrack: '1' } },
  'Global Privacy Control': { navigator: { globalPrivacyControl: true } },
  'localStorage.tally_ignore': { storage: { tally_ignore: 'true' } },
  'localStorage.plausible_ignore': { storage: { plausible_ignore: 'true' } },
  localhost: { url: 'http://localhost:8080/' },
  '127.0.0.1': { url: 'http://127.0.0.1/' },
  '[::1]': { url: 'http://[::1]:3000/' },
  'file:': { url: 'file:///home/me/index.html' },
  'navigator.webdriver': { navigator: { webdriver: true } },
}

for (const [name, options] of Object.entries(skipped)) {
  test(`nothing is sent with ${name}, and callbacks are still called`, async () => {
    for (const file of ['script.js', 'script.manual.js', 'script.hash.outbound-links.file-downloads.tagged-events.js']) {
      const page = await load({ file, ...options })
      const heard = []
      page.window.tally('pageview', { callback: () => heard.push('pageview') })
      page.window.plausible('Signup', { props: { a: 'b' }, callback: () => heard.push('Signup') })
      page.history.pushState({}, '', '/next')
      assert.equal(page.requests.length, 0, file)
      assert.deepEqual(heard, ['pageview', 'Signup'], file)
    }
  })
}

const counted = {
  'doNotTrack "0"': { navigator: { doNotTrack: '0' } },
  'doNotTrack "unspecified"': { navigator: { doNotTrack: 'unspecified' } },
  'globalPrivacyControl false': { navigator: { globalPrivacyControl: false } },
  'tally_ignore "false"': { storage: { tally_ignore: 'false' } },
  'blocked storage': { storage: 'throw' },
  'localhost with data-include-localhost': {
    url: 'http://localhost:8080/',
    attrs: { 'data-domain': 'example.com', 'data-include-localhost': '', src: 'http://localhost:8080/js/script.js' },
  },
  'a host that only starts with localhost': { url: 'https://localhost.example.com/' },
  'webdriver with data-allow-automation': {
    navigator: { webdriver: true },
    attrs: { 'data-domain': 'example.com', 'data-allow-automation': '', src: 'https://stats.example/js/script.js' },
  },
}

for (const [name, options] of Object.entries(counted)) {
  test(`a pageview is sent with ${name}`, async () => {
    const page = await load(options)
    assert.deepEqual(page.names(), ['pageview'])
  })
}

test('the opt-out takes effect without a reload', async () => {
  const page = await load()
  assert.deepEqual(page.names(), ['pageview'])
  page.storage.tally_ignore = 'true' // as the opt-out page, in another tab, does
  page.window.tally('Signup')
  assert.deepEqual(page.names(), ['pageview'])
})
