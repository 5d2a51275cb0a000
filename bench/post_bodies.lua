-- post_bodies.lua: wrk script for the login scenarios of bench/run.
--
-- POSTs to wrk's URL path the JSON bodies of the file named by the
-- environment variable BENCH_BODIES, one body per line, in order.  After
-- the last body it starts again from the first (refusal flood) or, with
-- BENCH_ONCE=1 (login storm), stops the thread: every merchant's code is
-- then used, and what follows would only be replays (401).  wrk itself
-- still waits for the end of -d, so the time of the last 2xx answer is
-- measured here (CLOCK_MONOTONIC through the LuaJIT FFI) and reported as
-- active_s; bench/run divides the 2xx count by it when the bodies ran out.
-- Every wrk thread starts at its own offset (thread number * lines /
-- BENCH_THREADS, default 1) and, with BENCH_ONCE, sends only its share.
--
-- With BENCH_COLD=1 (the cold refusal flood) no file is read: every request
-- is a login with an API key never sent before ("bk_cold", the thread
-- number and a counter: 47 characters, the length of a real key), so no
-- cache can answer it.
--
-- Counts the answers by status class in response() and prints one line
--   BENCH_JSON {...}
-- in done(): requests, duration, status classes, socket errors and latency
-- percentiles in microseconds (wrk's closed-loop latencies).

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *ts);
]]
local ts = ffi.new("bench_timespec")
local function now()
   ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
   return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local path = wrk.path
local counter = 0

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   threads = threads or {}
   table.insert(threads, thread)
end

local reqs = {}
local n = 0
local i = 0
-- globals, not locals: done() reads them from each thread with thread:get()
c2, c4, c5, cother = 0, 0, 0, 0
t_init, t_last2xx, exhausted = 0, 0, 0
local once = os.getenv("BENCH_ONCE") == "1"
local cold = os.getenv("BENCH_COLD") == "1"
local cold_headers = { ["Content-Type"] = "application/json" }
local sent = 0
local quota = 0 -- with BENCH_ONCE: this thread's share of the bodies

function init(args)
   if cold then
      t_init = now()
      t_last2xx = t_init
      return
   end
   local file = os.getenv("BENCH_BODIES")
   local f = assert(io.open(file, "r"), "cannot open BENCH_BODIES file " .. tostring(file))
   local headers = { ["Content-Type"] = "application/json" }
   for line in f:lines() do
      if #line > 0 then
         n = n + 1
         reqs[n] = wrk.format("POST", path, headers, line)
      end
   end
   f:close()
   assert(n > 0, "no bodies in " .. file)
   local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
   i = math.floor((id or 0) * n / nthreads)
   quota = math.floor((id or 0) * n / nthreads + n / nthreads) - i
   t_init = now()
   t_last2xx = t_init
end

function request()
   if cold then
      sent = sent + 1
      return wrk.format("POST", path, cold_headers,
         string.format('{"API_KEY":"bk_cold%02d%038d","TOTP":"123456"}', (id or 0) % 100, sent))
   end
   i = i + 1
   if i > n then
      i = 1
   end
   sent = sent + 1
   if once and sent >= quota and exhausted == 0 then
      exhausted = 1
      wrk.thread:stop() -- this last request may still go out
   end
   return reqs[i]
end

function response(status, headers, body)
   if status >= 200 and status < 300 then
      c2 = c2 + 1
      t_last2xx = now()
   elseif status >= 400 and status < 500 then
      c4 = c4 + 1
   elseif status >= 500 then
      c5 = c5 + 1
   else
      cother = cother + 1
   end
end

function done(summary, latency, requests)
   local s2, s4, s5, so, active, ex = 0, 0, 0, 0, 0, 0
   for _, t in ipairs(threads or {}) do
      s2 = s2 + (t:get("c2") or 0)
      s4 = s4 + (t:get("c4") or 0)
      s5 = s5 + (t:get("c5") or 0)
      so = so + (t:get("cother") or 0)
      active = math.max(active, (t:get("t_last2xx") or 0) - (t:get("t_init") or 0))
      ex = math.max(ex, t:get("exhausted") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"status_2xx":%d,"status_4xx":%d,' ..
      '"status_5xx":%d,"status_other":%d,"err_connect":%d,"err_read":%d,"err_write":%d,' ..
      '"err_status":%d,"err_timeout":%d,"lat_mean_us":%.1f,"lat_max_us":%d,' ..
      '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"active_s":%.6f,"exhausted":%d}\n',
      summary.requests, summary.duration, summary.bytes, s2, s4, s5, so,
      e.connect, e.read, e.write, e.status, e.timeout, latency.mean, latency.max,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9),
      active, ex))
end
