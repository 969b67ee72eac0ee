-- wrk script: share-page readers, each request one of the share's ranges
-- (bench/share/run.sh passes the share's path as SHARE).
local ranges = { "last_month", "30d", "month", "12mo" }
local path = os.getenv("SHARE")
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", path .. "?range=" .. ranges[n % #ranges + 1])
end
