-- A write mix: registrations, and profile updates by one supplier (token in TOKEN,
-- supplier id in SUPPLIER), half each. Every request is one that succeeds: a mix that
-- added evidence would reach the limit of live links per supplier within a second and
-- measure refusals from then on.
local token = os.getenv("TOKEN")
local supplier = os.getenv("SUPPLIER")
local n = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end
request = function()
  n = n + 1
  if n % 2 == 0 then
    local body = string.format(
      '{"name":"Bench Supplier %d-%d","website":"https://bench.example","contact_name":"Bench","contact_email":"bench@bench.example"}',
      thread_id, n)
    return wrk.format("POST", "/api/v1/registrations", {["Content-Type"] = "application/json"}, body)
  end
  local body = string.format(
    '{"description":"Benchmark writer, update %d of thread %d."}', n, thread_id)
  return wrk.format("PATCH", "/api/v1/suppliers/" .. supplier,
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
