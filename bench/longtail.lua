-- wrk: the long tail of stores (bench/test_longtail_bench.py). Each request picks a store by the
-- cumulative Zipf weights the bench wrote, then its home page or, LONGTAIL_SEARCH_SHARE of the time,
-- a search on it for one of the store's own words.
-- LONGTAIL_PATHS names that file: one store a line, "<cumulative weight> <slug> <word> <word> …",
-- the words already URL-encoded, the last weight 1.
local stores = {}
local search_share = tonumber(os.getenv("LONGTAIL_SEARCH_SHARE"))
local threads = 0

function setup(thread)
   threads = threads + 1
   thread:set("number", threads)
end

function init(args)
   math.randomseed(number * 7919 + os.time())
   for line in io.lines(os.getenv("LONGTAIL_PATHS")) do
      local fields = {}
      for field in line:gmatch("%S+") do
         fields[#fields + 1] = field
      end
      stores[#stores + 1] = {
         weight = tonumber(fields[1]),
         home = "/s/" .. fields[2] .. "/",
         words = { (table.unpack or unpack)(fields, 3) },  -- wrk's LuaJIT is Lua 5.1
      }
   end
end

local function pick()
   local roll, low, high = math.random(), 1, #stores
   while low < high do
      local middle = math.floor((low + high) / 2)
      if stores[middle].weight < roll then
         low = middle + 1
      else
         high = middle
      end
   end
   return stores[low]
end

function request()
   local store = pick()
   if #store.words > 0 and math.random() < search_share then
      return wrk.format("GET", store.home .. "search/?q=" .. store.words[math.random(#store.words)])
   end
   return wrk.format("GET", store.home)
end
