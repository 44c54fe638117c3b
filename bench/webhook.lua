-- Cycles through pre-signed Twilio webhook requests (one per line of the file
-- given after "--": "<signature> <form body>"), and counts non-200 answers.
local requests = {}
local index = 0
-- Globals: done() runs in the main state and reads them from each thread.
non200 = 0
prepared = 0
local threads = {}

-- Each thread takes every n-th request from its own offset, so no two
-- threads send the same MessageSid (a duplicate is answered from the store).
offset = 0
stride = 1

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("offset", #threads - 1)
  for _, each in ipairs(threads) do
    each:set("stride", #threads)
  end
end

function init(args)
  for line in io.lines(args[1]) do
    local space = line:find(" ", 1, true)
    requests[#requests + 1] = wrk.format("POST", "/sms/inbound", {
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["X-Twilio-Signature"] = line:sub(1, space - 1),
    }, line:sub(space + 1))
  end
  prepared = #requests
end

function request()
  local chosen = requests[(offset + index * stride) % #requests + 1]
  index = index + 1
  return chosen
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
  end
end

function done(summary, latency, requests_)
  local bad, count = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non200")
    count = math.max(count, thread:get("prepared"))
  end
  io.write(string.format(
    'WRK_JSON {"requests": %d, "seconds": %.6f, "p50_us": %d, "p99_us": %d,'
      .. ' "max_us": %d, "non200": %d, "socket_errors": %d, "timeouts": %d,'
      .. ' "prepared": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50),
    latency:percentile(99), latency.max, bad,
    summary.errors.connect + summary.errors.read + summary.errors.write,
    summary.errors.timeout, count))
end
