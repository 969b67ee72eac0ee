-- wrk script: realistic tracker events. 50 000 visitors, each on a network
-- of its own (X-Forwarded-For, believed because tally runs with
-- --trusted-proxies 127.0.0.1/32), each with one of several real user
-- agents, a language and a screen width that stay the same from hit to hit
-- as a browser's do; Zipf-ish pages, a referrer and a campaign now and then.
--
-- CHURN=1 makes it the worst case for the session table: every request
-- picks its user agent, language and screen width anew, so the networks
-- make up to 300 000 visitors (an IP and a user agent are a visitor), most
-- hits come from a visitor not seen yet, and a returning visitor's
-- language and device change between hits. That was the ingest
-- benchmark's load until 2026-11-30 (docs/benchmarks.md).
local churn = os.getenv("CHURN") == "1"
math.randomseed(os.time())
local uas = {
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Safari/537.36",
  "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.43 Mobile Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.61",
}
local refs = { "", "", "", "https://www.google.com/search?q=x", "https://duckduckgo.com/", "https://news.ycombinator.com/item?id=1", "https://t.co/abc" }
local langs = { "en-US,en;q=0.9", "de-DE,de;q=0.9", "fr-FR", "ja", "es-ES,es" }
local n = 0

request = function()
  n = n + 1
  local page = "/"
  local r = math.random()
  if r > 0.5 then page = "/blog/post-" .. math.floor(1 / (math.random() + 0.01)) end
  if r > 0.9 then page = "/pricing?utm_source=newsletter&utm_medium=email" end
  -- 50 000 visitors, each on a network of its own, so visits have several
  -- pages. A visitor keeps its browser, language and screen from hit to hit.
  local v = math.random(50000)
  local ip = string.format("%d.%d.%d.7", 11 + v % 200, math.floor(v / 200) % 256, v % 251)
  local ua, lang, width = v % #uas + 1, v % #langs + 1, v % 3 + 1
  if churn then
    ua, lang, width = math.random(#uas), math.random(#langs), math.random(3)
  end
  local body = string.format('{"n":"pageview","u":"https://example.com%s","d":"example.com","r":"%s","w":%d}',
    page, refs[math.random(#refs)], ({390, 820, 1440})[width])
  return wrk.format("POST", "/api/event", {
    ["Content-Type"] = "text/plain",
    ["User-Agent"] = uas[ua],
    ["X-Forwarded-For"] = ip,
    ["Accept-Language"] = langs[lang],
  }, body)
end

-- Count non-202 answers so a run that drops hits cannot pass for a fast one.
local bad = 0
response = function(status, headers, body)
  if status ~= 202 then bad = bad + 1 end
end

done = function(summary, latency, requests)
  io.write(string.format("requests=%d non2xx_or_3xx=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.errors.status, latency:percentile(50), latency:percentile(99)))
end
