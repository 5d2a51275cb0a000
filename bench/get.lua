-- get.lua: wrk script for the GET scenarios of bench/run (verify, nginx).
--
-- GETs wrk's URL, with "Authorization: Bearer $BENCH_TOKEN" when that
-- environment variable is set (the same token on every request).  No
-- response() hook (it would cost Lua work on every answer): wrk counts the
-- answers with status >= 400 itself (errors.status), so
-- status_2xx = requests - errors.status (neither server sends 1xx or 3xx
-- here).  Prints one line BENCH_JSON {...} in done(), as post_bodies.lua.

local token = os.getenv("BENCH_TOKEN")

function init(args)
   if token ~= nil and #token > 0 then
      wrk.headers["Authorization"] = "Bearer " .. token
   end
   req = wrk.format("GET", wrk.path)
end

function request()
   return req
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"status_2xx":%d,"status_4xx":-1,' ..
      '"status_5xx":-1,"status_other":-1,"err_connect":%d,"err_read":%d,"err_write":%d,' ..
      '"err_status":%d,"err_timeout":%d,"lat_mean_us":%.1f,"lat_max_us":%d,' ..
      '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d}\n',
      summary.requests, summary.duration, summary.bytes, summary.requests - e.status,
      e.connect, e.read, e.write, e.status, e.timeout, latency.mean, latency.max,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
end
