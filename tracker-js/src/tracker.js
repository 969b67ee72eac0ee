// tally tracker: counts a pageview on load and on SPA navigation, and custom
// events through window.tally / window.plausible. It sets no cookie and
// writes nothing to localStorage or sessionStorage; it only reads the
// opt-out flag there.
//
// HASH, OUTBOUND, FILES, TAGGED and MANUAL are compile-time constants set by
// build.mjs (esbuild define), one combination per served file. esbuild wraps
// this file in a function and drops every declaration a variant does not
// use, which is why everything here is declared at the top level.

const w = window
const doc = document
const nav = navigator
const loc = location
// currentScript is null for a module script; the first tagged script then.
const script = doc.currentScript || doc.querySelector('script[data-domain]')

function attr(name) {
  return script && script.getAttribute('data-' + name)
}
function has(name) {
  return attr(name) != null
}

// Signals that never change while the page lives: Do Not Track, Global
// Privacy Control, a page opened from this machine, a browser driven by
// automation (tests opt in with data-allow-automation).
const off =
  !script ||
  nav.doNotTrack == '1' ||
  w.doNotTrack == '1' ||
  nav.msDoNotTrack == '1' ||
  nav.globalPrivacyControl ||
  (!has('include-localhost') &&
    (/^(localhost|127\.0\.0\.1|\[::1\])$/.test(loc.hostname) || loc.protocol == 'file:')) ||
  (nav.webdriver && !has('allow-automation'))

// The per-browser opt-out is read on every event, so setting it takes effect
// at once. Reading storage throws where the browser blocks it.
function optedOut() {
  try {
    const s = localStorage
    return s.tally_ignore == 'true' || s.plausible_ignore == 'true'
  } catch (e) {}
}

// send is window.tally and window.plausible: send(name, {props, callback, u}).
// The body is text/plain so that the cross-origin POST needs no preflight,
// and keepalive lets it outlive the page, so no navigation is ever delayed.
// A failed send (a 503 included) is not retried.
function send(name, opts) {
  opts = opts || {}
  const cb = opts.callback
  if (off || optedOut()) return cb && cb()
  const api = attr('api') || new URL(script.src).origin + '/api/event'
  // sd and e are an engagement report's; JSON leaves them out when undefined.
  const event = { n: name, u: opts.u || loc.href, d: attr('domain'), r: doc.referrer || null, w: w.innerWidth, sd: opts.sd, e: opts.e }
  const props = opts.props
  if (props && Object.keys(props).length) event.p = props
  if (HASH) event.h = 1
  const body = JSON.stringify(event)
  if (w.fetch) {
    fetch(api, { method: 'POST', body: body, keepalive: true, headers: { 'Content-Type': 'text/plain' } }).then(
      function (r) {
        cb && cb({ status: r.status })
      },
      function (e) {
        cb && cb({ error: e })
      }
    )
  } else {
    nav.sendBeacon(api, body)
    cb && cb()
  }
}

// Engagement of the page view counted last: its deepest scroll (percent of
// the page's height seen) and the time it was visible (ms), reported as
// Plausible's script reports them — an "engagement" event with sd and e —
// when the page is hidden and when an SPA navigates away. A report of less
// than a second of new visible time is not sent. The server rounds and
// clamps sd to 0–100. engage is also the visibilitychange listener: hidden,
// it adds the visible time and reports; visible again, it restarts the clock.
const now = Date.now
let depth = 0
let engaged = 0
let shown = now()
function scrolled() {
  depth = Math.max(depth, ((scrollY + innerHeight) / doc.documentElement.scrollHeight) * 100)
}
function engage() {
  if (shown) engaged += now() - shown
  shown = !doc.hidden && now()
  if (last && engaged >= 1000) {
    scrolled()
    send('engagement', { u: last, sd: depth, e: engaged })
    engaged = 0
  }
}

// A pageview for every new URL, never two in a row for the same one (a
// replaceState that keeps the URL, a popstate back to the same page). The
// fragment is part of the URL in hash mode only.
let last
function page() {
  const url = HASH ? loc.href : loc.href.split('#')[0]
  if (url != last) {
    engage()
    depth = engaged = 0
    last = url
    send('pageview')
  }
}

// class="plausible-event-name=Signup plausible-event-plan=pro" on an element
// sends the event Signup with the prop plan=pro; '--' may stand for '=' and
// '+' for a space. Returns the event name, if the element has one.
function tagged(el) {
  let name
  const props = {}
  ;(el.getAttribute('class') || '').split(/\s+/).forEach(function (c) {
    const m = c.match(/^plausible-event-(.+?)(=|--)(.+)$/)
    if (m) {
      const value = m[3].replace(/\+/g, ' ')
      if (m[1] == 'name') name = value
      else props[m[1]] = value
    }
  })
  if (name) send(name, { props: props })
  return name
}

function isDownload(path) {
  const types =
    (attr('file-types') ||
      'pdf,xlsx,docx,txt,rtf,csv,exe,key,pps,ppt,pptx,7z,pkg,rar,gz,zip,avi,mov,mp4,mpeg,wmv,midi,mp3,wav,wma,dmg') +
    (has('add-file-types') ? ',' + attr('add-file-types') : '')
  return new RegExp('\\.(' + types.replace(/\s/g, '').replace(/,/g, '|') + ')$', 'i').test(path)
}

// A left or middle click: a tagged element wins (a form counts on submit),
// else the link clicked may be a download or lead to another host. The link
// is sent without its query or fragment.
function click(e) {
  if (e.type == 'auxclick' && e.button != 1) return
  for (var el = e.target, link; el && el.getAttribute; el = el.parentNode) {
    if (TAGGED && el.tagName != 'FORM' && tagged(el)) return
    if (!link && el.tagName == 'A' && el.href) link = el
  }
  if (link && /^https?:$/.test(link.protocol)) {
    const props = { props: { url: link.href.split(/[?#]/)[0] } }
    if (FILES && isDownload(link.pathname)) send('File Download', props)
    else if (OUTBOUND && link.host != loc.host) send('Outbound Link: Click', props)
  }
}

// Calls made before the script loaded, by the snippet
// window.plausible = window.plausible || function () { (window.plausible.q = window.plausible.q || []).push(arguments) }
const tq = (w.tally && w.tally.q) || []
const pq = (w.plausible && w.plausible.q) || []
const queue = tq == pq ? tq : tq.concat(pq)
w.tally = w.plausible = send

if (!MANUAL) {
  const hist = w.history
  ;['pushState', 'replaceState'].forEach(function (method) {
    const original = hist[method]
    hist[method] = function () {
      const result = original.apply(this, arguments)
      page()
      return result
    }
  })
  w.addEventListener('popstate', page)
  if (HASH) w.addEventListener('hashchange', page)
  // A prerendered page counts when, and only if, the visitor sees it.
  if (doc.prerendering) doc.addEventListener('prerenderingchange', page)
  else page()
  w.addEventListener('scroll', scrolled)
  doc.addEventListener('visibilitychange', engage)
}

queue.forEach(function (args) {
  send.apply(null, args)
})

if (OUTBOUND || FILES || TAGGED) {
  doc.addEventListener('click', click)
  doc.addEventListener('auxclick', click)
}
if (TAGGED)
  doc.addEventListener('submit', function (e) {
    tagged(e.target)
  })
