-- wrk script: request paths at random from the file named by $URLS (one path per line)
local paths = {}
for line in io.lines(os.getenv("URLS")) do
  if #line > 0 then table.insert(paths, line) end
end
math.randomseed(os.time())
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
