-- Each request asks for a different URL (a throwaway query parameter), so no page cache can answer:
-- what a stream of one-off searches costs. The path must already carry a query string.
local counter = 0
local prefix = string.match(tostring({}), "0x(%x+)") or "t"
request = function()
  counter = counter + 1
  return wrk.format("GET", wrk.path .. "&nocache=" .. prefix .. "-" .. counter)
end
