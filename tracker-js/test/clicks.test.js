import assert from 'node:assert/strict'
import { test } from 'node:test'
import { element, load } from './fakebrowser.js'

const all = 'script.outbound-links.file-downloads.tagged-events.js'
const base = 'https://example.com/'
const a = (href, attrs = {}, parent = null) => element('a', { href, ...attrs }, parent, base)

// clicks returns the events after the pageview as [name, props].
const clicks = (page) =>
  page
    .events()
    .slice(1)
    .map((e) => [e.n, e.p])

test('tagged elements send their event and props', async () => {
  const page = await load({ file: 'script.tagged-events.js' })
  const button = element('button', { class: 'btn plausible-event-name=Signup plausible-event-plan=pro' })
  page.click(button)
  page.click(element('span', {}, element('div', { class: 'plausible-event-name=Open+Menu plausible-event-where=top+bar' })))
  page.click(element('a', { class: 'plausible-event-name--Signup plausible-event-plan--free' }))
  page.click(element('div', { class: 'plausible-event-plan=pro' }))
  page.click(element('div'))
  assert.deepEqual(clicks(page), [
    ['Signup', { plan: 'pro' }],
    ['Open Menu', { where: 'top bar' }],
    ['Signup', { plan: 'free' }],
  ])
})

test('a tagged event without props sends no p', async () => {
  const page = await load({ file: 'script.tagged-events.js' })
  page.click(element('button', { class: 'plausible-event-name=Play' }))
  assert.equal('p' in page.events()[1], false)
})

test('a tagged form counts on submit, not on a click inside it', async () => {
  const page = await load({ file: 'script.tagged-events.js' })
  const form = element('form', { class: 'plausible-event-name=Contact plausible-event-topic=sales' })
  page.click(element('button', { type: 'submit' }, form))
  assert.deepEqual(clicks(page), [])
  page.submit(form)
  page.submit(element('form'))
  assert.deepEqual(clicks(page), [['Contact', { topic: 'sales' }]])
})

test('a tagged outbound link sends the tagged event only', async () => {
  const page = await load({ file: all })
  page.click(a('https://elsewhere.example/', { class: 'plausible-event-name=Partner' }))
  assert.deepEqual(clicks(page), [['Partner', undefined]])
})

test('outbound links send their URL without query or fragment', async () => {
  const page = await load({ file: 'script.outbound-links.js' })
  page.click(element('img', {}, a('https://elsewhere.example/path?token=secret#x')))
  page.click(a('http://elsewhere.example:8080/'))
  page.click(a('/internal'))
  page.click(a('https://example.com/same-host'))
  page.click(a('mailto:me@example.com'))
  page.click(a('https://www.example.com/'))
  assert.deepEqual(clicks(page), [
    ['Outbound Link: Click', { url: 'https://elsewhere.example/path' }],
    ['Outbound Link: Click', { url: 'http://elsewhere.example:8080/' }],
    ['Outbound Link: Click', { url: 'https://www.example.com/' }],
  ])
})

test('a middle click counts, a right click does not', async () => {
  const page = await load({ file: 'script.outbound-links.js' })
  const link = a('https://elsewhere.example/')
  page.auxclick(link, 2)
  page.auxclick(link, 1)
  assert.deepEqual(clicks(page), [['Outbound Link: Click', { url: 'https://elsewhere.example/' }]])
})

test('file downloads by extension, on any host', async () => {
  const page = await load({ file: 'script.file-downloads.js' })
  page.click(a('/files/report.PDF?v=2'))
  page.click(a('https://cdn.example/app.dmg'))
  page.click(a('/files/pdf'))
  page.click(a('/page.html'))
  page.click(a('https://elsewhere.example/'))
  assert.deepEqual(clicks(page), [
    ['File Download', { url: 'https://example.com/files/report.PDF' }],
    ['File Download', { url: 'https://cdn.example/app.dmg' }],
  ])
})

test('data-file-types replaces the list, data-add-file-types extends it', async () => {
  const src = 'https://stats.example/js/script.file-downloads.js'
  const only = await load({ file: 'script.file-downloads.js', attrs: { 'data-domain': 'example.com', 'data-file-types': 'epub, mobi', src } })
  only.click(a('/book.epub'))
  only.click(a('/report.pdf'))
  assert.deepEqual(clicks(only).map((c) => c[1].url), ['https://example.com/book.epub'])
  const more = await load({ file: 'script.file-downloads.js', attrs: { 'data-domain': 'example.com', 'data-add-file-types': 'epub', src } })
  more.click(a('/book.epub'))
  more.click(a('/report.pdf'))
  assert.deepEqual(clicks(more).map((c) => c[1].url), ['https://example.com/book.epub', 'https://example.com/report.pdf'])
})

test('with both, a download is a download and an outbound link is outbound, once each', async () => {
  const page = await load({ file: all })
  page.click(a('https://elsewhere.example/file.zip'))
  page.click(a('https://elsewhere.example/page'))
  assert.deepEqual(clicks(page), [
    ['File Download', { url: 'https://elsewhere.example/file.zip' }],
    ['Outbound Link: Click', { url: 'https://elsewhere.example/page' }],
  ])
})

test('each variant only listens for what it has', async () => {
  for (const [file, clickListeners, submitListeners] of [
    ['script.js', 0, 0],
    ['script.hash.manual.js', 0, 0],
    ['script.outbound-links.js', 1, 0],
    ['script.file-downloads.js', 1, 0],
    ['script.tagged-events.js', 1, 1],
    [all, 1, 1],
  ]) {
    const page = await load({ file })
    assert.equal(page.listeners('click'), clickListeners, file)
    assert.equal(page.listeners('auxclick'), clickListeners, file)
    assert.equal(page.listeners('submit'), submitListeners, file)
  }
})

test('outbound-only builds ignore tags and downloads', async () => {
  const page = await load({ file: 'script.outbound-links.js' })
  page.click(element('button', { class: 'plausible-event-name=Signup' }))
  page.click(a('/report.pdf'))
  assert.deepEqual(clicks(page), [])
})
