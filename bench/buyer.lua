-- wrk: each connection is a buyer on a phone who reads a page for 1 to 3 seconds before the next one,
-- rather than a connection sending requests back to back (bench/test_regions_bench.py).
function delay()
   return math.random(1000, 3000)
end
