-- GET /api/v1/suppliers/{slug} over random slugs read from slugs.txt.
local slugs = {}
for line in io.lines(os.getenv("SLUGS") or "slugs.txt") do slugs[#slugs + 1] = line end
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/api/v1/suppliers/" .. slugs[math.random(#slugs)])
end
