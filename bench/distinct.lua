-- wrk script: every request a distinct URL with the same meaning, so no response cache helps.
-- The path holds the marker {W}; it is replaced by the word given as the script's first
-- argument, with the characters whose bit is set in a per-request counter percent-encoded
-- ("ggw72024" → "g%67w7%32024"). Servers decode the percent-escapes, so the answer is the
-- same, but the request target differs. Threads take alternate counters.
--
--   wrk -t2 -c64 -d20s -s bench/distinct.lua 'http://127.0.0.1:18080/path?level={W}' -- ggw72024
local counter = 0
local threads = 0
local word, head, tail

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  word = args[1]
  local path = wrk.path
  local at = string.find(path, "{W}", 1, true)
  head = string.sub(path, 1, at - 1)
  tail = string.sub(path, at + 3)
end

function request()
  counter = counter + 1
  local n = counter * 2 + id
  local out = {}
  for i = 1, #word do
    local ch = string.sub(word, i, i)
    if bit.band(bit.rshift(n, i - 1), 1) == 1 then
      out[#out + 1] = string.format("%%%02X", string.byte(ch))
    else
      out[#out + 1] = ch
    end
  end
  return wrk.format("GET", head .. table.concat(out) .. tail)
end
