-- wrk: rotate over the paths given after `--`, and print report.lua's machine-readable line.
local paths = {}
local n = 0

init = function(args)
  for i, path in ipairs(args) do paths[i] = path end
end

request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %.0f, "duration_us": %.0f, "p50_us": %.1f, "p99_us": %.1f, '
      .. '"max_us": %.1f, "connect": %.0f, "read": %.0f, "write": %.0f, "status": %.0f, '
      .. '"timeout": %.0f}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
