-- wrk script: one client floods one site with made-up paths and campaigns,
-- every request a page never seen before (bench/flood/run.sh). The names
-- are words of letters: numbers and tokens would become :id and :token
-- (collector/personal.go), which folds a naive flood before any bound.
local n = 0
local function word(i)
  local s = ""
  repeat
    s = string.char(97 + i % 26) .. s
    i = math.floor(i / 26)
  until i == 0
  return s
end
local seed = word(os.time() % 100000)
request = function()
  n = n + 1
  local w = word(n)
  local body = string.format('{"n":"pageview","u":"https://flooded.example/%s/page-%s?utm_content=%s","d":"flooded.example"}', seed, w, w)
  return wrk.format("POST", "/api/event", {
    ["Content-Type"] = "text/plain",
    ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    ["X-Forwarded-For"] = string.format("10.%d.%d.7", n % 250, math.floor(n / 250) % 250),
  }, body)
end

local bad = 0
response = function(status, headers, body)
  if status ~= 202 then bad = bad + 1 end
end

done = function(summary, latency, requests)
  io.write(string.format("requests=%d non2xx_or_3xx=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.errors.status, latency:percentile(50), latency:percentile(99)))
end
