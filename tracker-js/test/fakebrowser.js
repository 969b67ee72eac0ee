// A fake browser page, just enough of window, document, navigator, location,
// history and storage for the tracker to run in node:vm, recording what the
// script sends and every write it makes to cookies or storage.
import vm from 'node:vm'
import { buildVariant, extensions } from '../build.mjs'

const builds = new Map()

// code builds (once) the variant a served file name stands for.
export async function code(file) {
  if (!builds.has(file)) {
    const names = file.split('.').slice(1, -1)
    const flags = {}
    for (const [name, constant] of extensions) flags[constant] = names.includes(name)
    builds.set(file, await buildVariant(flags))
  }
  return builds.get(file)
}

// element makes a fake DOM element; a link's href resolves against base.
export function element(tagName, attrs = {}, parent = null, base = 'https://example.com/') {
  const el = {
    tagName: tagName.toUpperCase(),
    parentNode: parent,
    getAttribute: (name) => (name in attrs ? attrs[name] : null),
    hasAttribute: (name) => name in attrs,
  }
  if (el.tagName == 'A' && 'href' in attrs) {
    const u = new URL(attrs.href, base)
    Object.assign(el, { href: u.href, protocol: u.protocol, host: u.host, pathname: u.pathname })
  }
  if (el.tagName == 'SCRIPT' && 'src' in attrs) el.src = new URL(attrs.src, base).href
  return el
}

function listeners() {
  const all = {}
  return {
    addEventListener(type, fn) {
      ;(all[type] ||= []).push(fn)
    },
    dispatch(type, event = {}) {
      for (const fn of all[type] || []) fn({ type, ...event })
    },
    count(type) {
      return (all[type] || []).length
    },
  }
}

// load runs one built file in a fresh fake page and returns the page.
//   file:      served file name (script.hash.js …), picks the variant
//   url:       the page's URL
//   attrs:     the script tag's attributes
//   navigator, window: extra properties of those objects
//   storage:   localStorage items, or 'throw' for a browser that blocks it
//   fetch:     false for a browser without fetch; status: its answer
//   before:    function(window) run before the script, as a snippet would
export async function load({
  file = 'script.js',
  url = 'https://example.com/',
  attrs = { 'data-domain': 'example.com', src: 'https://stats.example/js/' + file },
  navigator = {},
  window = {},
  storage = {},
  fetch = true,
  status = 202,
  referrer = '',
  before,
} = {}) {
  const page = {
    requests: [], // {api, init} for fetch, {api, body, beacon: true} for sendBeacon
    writes: [], // cookie and storage writes: there must be none
    unhandled: [],
  }
  const loc = {}
  const setURL = (href) => {
    const u = new URL(href, loc.href || undefined)
    Object.assign(loc, {
      href: u.href,
      protocol: u.protocol,
      host: u.host,
      hostname: u.hostname,
      pathname: u.pathname,
      search: u.search,
      hash: u.hash,
    })
  }
  setURL(url)

  const win = listeners()
  const doc = listeners()
  const script = element('script', attrs, null, url)
  Object.assign(doc, {
    currentScript: script,
    querySelector: () => script,
    referrer,
  })
  Object.defineProperty(doc, 'cookie', {
    get: () => '',
    set: (v) => page.writes.push(['cookie', v]),
  })

  const history = {
    pushState(state, title, u) {
      if (u != null) setURL(u)
    },
    replaceState(state, title, u) {
      if (u != null) setURL(u)
    },
  }

  const items = storage == 'throw' ? {} : { ...storage }
  const store = new Proxy(items, {
    set(target, key, value) {
      page.writes.push(['localStorage', key, value])
      target[key] = value
      return true
    },
    get(target, key) {
      if (key == 'setItem' || key == 'removeItem' || key == 'clear')
        return (...args) => page.writes.push(['localStorage.' + key, ...args])
      return target[key]
    },
  })
  const session = new Proxy(
    {},
    {
      set(target, key) {
        page.writes.push(['sessionStorage', key])
        return true
      },
      get(target, key) {
        if (key == 'setItem') return (...args) => page.writes.push(['sessionStorage.setItem', ...args])
        return undefined
      },
    }
  )

  const nav = {
    doNotTrack: null,
    sendBeacon(api, body) {
      page.requests.push({ api, body, beacon: true })
      return true
    },
    ...navigator,
  }

  const ctx = {
    document: doc,
    navigator: nav,
    location: loc,
    history,
    innerWidth: 1280,
    URL,
    sessionStorage: session,
    console,
    ...window,
  }
  ctx.window = ctx
  ctx.addEventListener = win.addEventListener
  if (storage == 'throw')
    Object.defineProperty(ctx, 'localStorage', {
      get() {
        throw new Error('SecurityError: storage is blocked')
      },
    })
  else ctx.localStorage = store
  if (fetch)
    ctx.fetch = (api, init) => {
      page.requests.push({ api, init })
      if (status instanceof Error) return Promise.reject(status)
      return Promise.resolve({ status })
    }

  vm.createContext(ctx)
  if (before) before(ctx)
  vm.runInContext(await code(file), ctx, { filename: 'dist/' + file })

  return Object.assign(page, {
    window: ctx,
    storage: items, // localStorage's items, changed behind the script's back
    document: doc,
    location: loc,
    history: ctx.history,
    // events is what the server would receive: the parsed bodies.
    events: () => page.requests.map((r) => JSON.parse(r.beacon ? r.body : r.init.body)),
    names: () => page.events().map((e) => e.n),
    // back moves to url as the browser's back button does.
    back(u) {
      setURL(u)
      win.dispatch('popstate')
    },
    // scroll moves the viewport's top to y (pixels) and tells the page.
    scroll(y) {
      ctx.scrollY = y
      win.dispatch('scroll')
    },
    // visibility hides or shows the page, as switching tabs does.
    visibility(hidden) {
      doc.hidden = hidden
      doc.dispatch('visibilitychange')
    },
    // hashchange moves to a fragment as a click on #link does.
    hashchange(hash) {
      setURL(hash)
      win.dispatch('hashchange')
    },
    listeners: (type, on = 'document') => (on == 'window' ? win : doc).count(type),
    click: (target, event = {}) => doc.dispatch('click', { target, button: 0, ...event }),
    auxclick: (target, button) => doc.dispatch('auxclick', { target, button }),
    submit: (target) => doc.dispatch('submit', { target }),
    // settle lets the script's fetch promises run their callbacks.
    settle: () => new Promise((resolve) => setImmediate(resolve)),
  })
}
