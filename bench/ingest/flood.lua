-- wrk script: a flood of distinct paths on one site (issue 15, attacks 3 and
-- 7): every request a page never seen before, from 50 000 networks, so
-- every hit opens cells of its own.
local n = 0
local id = tostring(os.time()) .. "-" .. tostring(math.random(1000000))

request = function()
  n = n + 1
  local v = n % 50000
  local ip = string.format("%d.%d.%d.9", 11 + v % 200, math.floor(v / 200) % 256, v % 251)
  local body = string.format('{"n":"pageview","u":"https://example.com/flood/%s/%d","d":"example.com"}', id, n)
  return wrk.format("POST", "/api/event", {
    ["Content-Type"] = "text/plain",
    ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    ["X-Forwarded-For"] = ip,
  }, body)
end
