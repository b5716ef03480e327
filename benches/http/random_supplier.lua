-- GET /api/v1/suppliers/{slug} over random slugs read from slugs.txt (or, with PREFIX,
-- another path before the slug: PREFIX=/suppliers/ for the supplier pages). Every request is
-- formatted once per thread, before the run (in `init`, once wrk has set the Host
-- header): formatting one per request costs wrk CPU on the same two cores as the
-- service, and would be measured as the service's cost.
local slugs = {}
for line in io.lines(os.getenv("SLUGS") or "slugs.txt") do slugs[#slugs + 1] = line end
local prefix = os.getenv("PREFIX") or "/api/v1/suppliers/"
local requests = {}
init = function()
  for i, slug in ipairs(slugs) do
    requests[i] = wrk.format("GET", prefix .. slug)
  end
  math.randomseed(os.time())
end
request = function()
  return requests[math.random(#requests)]
end
