#!lua name=feed
-- Server-side timeline operations, and the write rate limit (rl_take). A home timeline is a Redis list of post ids
-- (decimal strings, which Redis stores as packed 64-bit integers), newest
-- first, optionally ended by a sentinel: "0" = the list is the whole timeline,
-- "b<token>" = a rebuild is in progress, claimed by whoever holds the token
-- (a bare "b" from before tokens is a claim nobody can finish: it expires).
-- Without a sentinel the list is the newest
-- prefix of a longer timeline, so an id older than its tail must not be added.
-- Ids exceed 2^53, so they are compared as strings, never as Lua numbers.

-- This library's release, compared when a process loads it (feed/redis/connection.py): a process never
-- replaces a newer release's library with its own. Raise it with every change of a function.
local LIBRARY_VERSION = 20261206

local function newer(a, b)
  if #a ~= #b then return #a > #b end
  return a > b
end

local BUILDING = 98  -- string.byte('b'): a building mark starts with it, an id never does

local function is_building(e)
  return e ~= nil and e ~= false and string.byte(e, 1) == BUILDING
end

local function is_mark(e)
  return e == '0' or string.byte(e, 1) == BUILDING
end

-- Trim a list that has grown past max + slack back to max, unless it is
-- being rebuilt (the rebuild trims it when it ends).
local function trim_if_long(key, len, max, slack)
  if len > max + slack and not is_building(redis.call('LINDEX', key, -1)) then
    redis.call('LTRIM', key, 0, max - 1)
  end
end

-- The first index (and its entry) of the list at key whose entry is not newer
-- than id, searching from index 1 (the head is known to be newer); len and nil
-- when every entry is newer. Gallops from the head, then bisects: late events
-- and replays are near the top, so they cost a few LINDEX, not a list scan.
local function first_not_newer(key, id, len)
  local lo, hi, found = 1, 1, nil
  while hi < len do
    local e = redis.call('LINDEX', key, hi)
    if is_mark(e) or not newer(e, id) then found = e; break end
    lo, hi = hi + 1, hi * 2
  end
  if hi >= len then hi, found = len, nil end
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    local e = redis.call('LINDEX', key, mid)
    if is_mark(e) or not newer(e, id) then hi, found = mid, e else lo = mid + 1 end
  end
  return hi, found
end

-- Insert id into the list at key, keeping it sorted, unique and within
-- max + slack entries. Returns 1 if the id was added. The common case, an id
-- newer than the head, costs two calls: LINDEX and LPUSH.
local function push_one(key, id, max, slack)
  local head = redis.call('LINDEX', key, 0)
  if not head then return 0 end  -- not materialized: the next read rebuilds it
  if is_mark(head) or newer(id, head) then
    trim_if_long(key, redis.call('LPUSH', key, id), max, slack)
    return 1
  end
  if id == head then return 0 end
  -- Out of order (a late event or a replay): find its place.
  local len = redis.call('LLEN', key)
  local i, pivot = first_not_newer(key, id, len)
  if pivot == nil or pivot == id then return 0 end  -- older than a truncated tail, or already there
  if i >= max then return 0 end  -- it would fall past the visible bound
  trim_if_long(key, redis.call('LINSERT', key, 'BEFORE', pivot, id), max, slack)
  return 1
end

-- KEYS: timelines; ARGV: max, slack, then one id per key.
local function tl_push(keys, args)
  local max, slack = tonumber(args[1]), tonumber(args[2])
  local added = 0
  for i = 1, #keys do
    added = added + push_one(keys[i], args[i + 2], max, slack)
  end
  return added
end

-- KEYS: timelines (of one shard); ARGV: max, slack, then pairs (id, n): the
-- next n keys receive id. A post going to many followers is one id and many
-- keys, not a pair per follower. Ids should come oldest first, so a timeline
-- receiving several of them takes the cheap path each time. This loop is the
-- fan-out hot path: the common case (an id newer than the head) is inlined,
-- two calls per delivery and no Lua function call (about 13% less server time
-- per delivery than calling push_one).
local function tl_fanout(keys, args)
  local call = redis.call
  local max, slack = tonumber(args[1]), tonumber(args[2])
  local limit = max + slack
  local added, k = 0, 0
  for a = 3, #args, 2 do
    local id, n = args[a], tonumber(args[a + 1])
    local idlen = #id
    for i = k + 1, k + n do
      local key = keys[i]
      local head = call('LINDEX', key, 0)
      if head then  -- not materialized: the next read rebuilds it
        local headlen = #head
        if idlen > headlen or (idlen == headlen and id > head) or is_mark(head) then
          if call('LPUSH', key, id) > limit and not is_building(call('LINDEX', key, -1)) then
            call('LTRIM', key, 0, max - 1)
          end
          added = added + 1
        elseif id ~= head then
          added = added + push_one(key, id, max, slack)  -- late or replayed: find its place
        end
      end
    end
    k = k + n
  end
  return added
end

-- Reposts (docs/reposts.md). A repost is an entry of its own id; each timeline
-- has a companion hash (same hash tag) of repost id -> original id for the
-- reposts pushed into it, so that a push can tell what its newest entries stand for.
local REPOST_WINDOW = 40  -- a repost is not added when its post is among this many newest entries
local REPOST_INDEX_MAX = REPOST_WINDOW + 8  -- companion fields kept before pruning those below the window

-- Whether original, or a repost of it, is among the newest REPOST_WINDOW entries of key.
local function shown_near_top(key, rkey, original)
  local recent = redis.call('LRANGE', key, 0, REPOST_WINDOW - 1)
  if #recent == 0 then return false end
  for i = 1, #recent do
    if recent[i] == original then return true end
  end
  local originals = redis.call('HMGET', rkey, unpack(recent))
  for i = 1, #originals do
    if originals[i] == original then return true end
  end
  return false
end

-- Keep the companion small: past REPOST_INDEX_MAX fields, drop those older than the
-- window's last entry (they can never be looked up again), and expire it with its list.
local function prune_index(key, rkey)
  if redis.call('HLEN', rkey) > REPOST_INDEX_MAX then
    local floor = redis.call('LINDEX', key, REPOST_WINDOW - 1)
    if floor and not is_mark(floor) then
      for _, field in ipairs(redis.call('HKEYS', rkey)) do
        if not newer(field, floor) then redis.call('HDEL', rkey, field) end
      end
    end
  end
  local ttl = redis.call('PTTL', key)
  if ttl > 0 then
    redis.call('PEXPIRE', rkey, ttl)
  elseif ttl == 0 then  -- the list's last millisecond: it goes now, and its companion with it
    redis.call('DEL', rkey)
  end
end

-- KEYS: pairs (timeline, its companion hash), all of one shard; ARGV: max, slack,
-- then triples (repost id, original id, n): the next n pairs receive the repost.
-- Checked and pushed in one call per shard, so no concurrent push slips between.
local function tl_repost(keys, args)
  local max, slack = tonumber(args[1]), tonumber(args[2])
  local added, k = 0, 0
  for a = 3, #args, 3 do
    local id, original, n = args[a], args[a + 1], tonumber(args[a + 2])
    for i = k + 1, k + 2 * n, 2 do
      local key, rkey = keys[i], keys[i + 1]
      if redis.call('EXISTS', key) == 1 and not shown_near_top(key, rkey, original) then
        if push_one(key, id, max, slack) == 1 then
          redis.call('HSET', rkey, id, original)
          prune_index(key, rkey)
          added = added + 1
        end
      end
    end
    k = k + 2 * n
  end
  return added
end

-- KEYS: timelines; ARGV: ids to remove from every one of them.
local function tl_remove(keys, args)
  local removed = 0
  for i = 1, #keys do
    for j = 1, #args do
      removed = removed + redis.call('LREM', keys[i], 0, args[j])
    end
  end
  return removed
end

-- Binary search: index of the first entry older than cursor, or with or_equal
-- the first not newer than it (marks count as oldest).
local function first_below(key, cursor, len, or_equal)
  local lo, hi = 0, len
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    local e = redis.call('LINDEX', key, mid)
    if is_mark(e) or newer(cursor, e) or (or_equal and e == cursor) then hi = mid else lo = mid + 1 end
  end
  return lo
end

-- A timeline list opened for a page read: the early reply when it is missing
-- ({0, 0}) or being rebuilt ({1, 0}); else nil, its length, its tail and its
-- visible entries (neither a mark nor past max). Refreshes the TTL (0 keeps).
local function open_page(key, max, ttl)
  local len = redis.call('LLEN', key)
  if len == 0 then return {0, 0} end
  local tail = redis.call('LINDEX', key, -1)
  if is_building(tail) then return {1, 0} end
  if ttl > 0 then redis.call('EXPIRE', key, ttl) end
  local visible = len
  if is_mark(tail) then visible = len - 1 end
  if visible > max then visible = max end
  return nil, len, tail, visible
end

-- Whether the timeline goes on past the list's visible entries (in the store):
-- the list lacks the complete mark, or holds more than max ids.
local function goes_on(tail, len, max)
  return tail ~= '0' or len - 1 > max
end

-- More's bit 2 (ARGV[5] = '1' asks for it; callers that do not see 0 or 1 as
-- before): the read reached the list's oldest visible entry and the timeline
-- goes on past it, in the store.
local GOES_ON = 2

-- KEYS: timeline; ARGV: cursor ('' = newest), count, max, ttl seconds (0 keeps),
-- and optionally '1' for the GOES_ON bit.
-- Returns {state, more, ids...}: state 0 missing, 1 building, 2 ready; more = 1
-- when older entries exist past the returned ones (+ GOES_ON).
local function tl_page(keys, args)
  local key, cursor = keys[1], args[1]
  local count, max, ttl = tonumber(args[2]), tonumber(args[3]), tonumber(args[4])
  local early, len, tail, visible = open_page(key, max, ttl)
  if early then return early end
  local start = 0
  if cursor ~= '' then start = first_below(key, cursor, visible, false) end
  local stop = math.min(start + count, visible) - 1
  local out = {2, 0}
  if stop >= start then
    local ids = redis.call('LRANGE', key, start, stop)
    for i = 1, #ids do out[#out + 1] = ids[i] end
  end
  if stop + 1 < visible then
    out[2] = 1
  elseif args[5] == '1' and goes_on(tail, len, max) then
    out[2] = GOES_ON
  end
  return out
end

-- KEYS: timeline; ARGV: after_id, count, max, ttl seconds (0 keeps), and
-- optionally '1' for the GOES_ON bit (every visible entry is above after_id).
-- Returns {state, more, ids...} as tl_page does, newest first: the count ids
-- just above after_id (the oldest of the newer ones, so paging newer skips
-- none); more = 1 when newer entries exist past the returned ones.
local function tl_newer(keys, args)
  local key, after = keys[1], args[1]
  local count, max, ttl = tonumber(args[2]), tonumber(args[3]), tonumber(args[4])
  local early, len, tail, visible = open_page(key, max, ttl)
  if early then return early end
  local stop = first_below(key, after, visible, true)  -- entries [0, stop) are newer than after
  local start = math.max(0, stop - count)
  local out = {2, 0}
  if stop > start then
    local ids = redis.call('LRANGE', key, start, stop - 1)
    for i = 1, #ids do out[#out + 1] = ids[i] end
  end
  if start > 0 then out[2] = 1 end
  if args[5] == '1' and stop == visible and goes_on(tail, len, max) then out[2] = out[2] + GOES_ON end
  return out
end

-- A page read with the post-cache entries of its ids (tl_page_posts, tl_newer_posts): the page's own
-- reply as tl_page and tl_newer give it (unchanged for the processes that still call those during a
-- rolling deploy), and the values of MGET prefix..id for its ids, in order: nil for a miss, the
-- cached bytes (an empty string: a tombstone). A missing or building list brings none. One round trip
-- for a page's ids and their cached posts, where two were needed.
-- The post keys are NOT in KEYS: they are only known once the list is read. Redis documents that a
-- function must declare every key it touches "to ensure correct execution, both in standalone and
-- clustered deployments" (FCALL), and enforces it only on a cluster: there, a key outside the
-- declared slot fails ("Script attempted to access a non local key in a cluster node", checked on
-- redis-server 7.0.15), while a standalone server reads it like any other (ACL key rules are still
-- applied to each redis.call). So these two are flagged no-cluster (a cluster node refuses them
-- outright) and only a standalone client calls them (feed/timeline/store.py); on a cluster, and
-- behind a proxy that routes by declared keys, a page stays two round trips. docs/performance.md.
local function with_posts(page, prefix)
  if page[1] ~= 2 or #page <= 2 then return {page, {}} end
  local keys = {}
  for i = 3, #page do keys[#keys + 1] = prefix .. page[i] end  -- at most max (800): unpack takes them
  return {page, redis.call('MGET', unpack(keys))}
end

-- KEYS: timeline; ARGV: as tl_page (five), then the post keys' prefix. Returns {tl_page's reply, values}.
local function tl_page_posts(keys, args)
  return with_posts(tl_page(keys, args), args[6])
end

-- KEYS: timeline; ARGV: as tl_newer (five), then the post keys' prefix. Returns {tl_newer's reply, values}.
local function tl_newer_posts(keys, args)
  return with_posts(tl_newer(keys, args), args[6])
end

-- The newest count ids of the union of pages' ids (tl_page replies, each newest first), without duplicates.
-- Runs in every merging page: no table made per step, the comparison inlined (ids as strings: newer()).
local function newest_of(pages, count)
  local out, at, n = {}, {}, 0
  for p = 1, #pages do at[p] = 3 end  -- a reply's ids start at its third entry
  while n < count do
    local best, bestlen = nil, 0
    for p = 1, #pages do
      local id = pages[p][at[p]]
      if id ~= nil then
        local len = #id
        if best == nil or len > bestlen or (len == bestlen and id > best) then best, bestlen = id, len end
      end
    end
    if best == nil then break end
    n = n + 1
    out[n] = best
    for p = 1, #pages do  -- past best in every page that holds it
      if pages[p][at[p]] == best then at[p] = at[p] + 1 end
    end
  end
  return out
end

-- KEYS: read-time lists; ARGV: as tl_page (five: one window for every list), then the post keys' prefix.
-- Returns {{tl_page's reply of each list, in order}, ids, values}: ids the newest count of the union of
-- the lists' pages (newest first, no duplicates) and values their post-cache entries, as with_posts
-- reads them. Whatever a home page holds, a merged page of count ids takes from these lists only ids
-- among their union's newest count, so their posts need no MGET of their own; at most count values are
-- read, not every listed id. Reads undeclared post keys as with_posts does: no-cluster, for the same reasons.
local function tl_sources_posts(keys, args)
  local pages, ready = {}, {}
  for i = 1, #keys do
    pages[i] = tl_page({keys[i]}, args)
    if pages[i][1] == 2 then ready[#ready + 1] = pages[i] end
  end
  local ids = newest_of(ready, math.min(tonumber(args[2]), 800))  -- unpack takes at most 800 keys below
  if #ids == 0 then return {pages, {}, {}} end
  local posts = {}
  for i = 1, #ids do posts[i] = args[6] .. ids[i] end
  return {pages, ids, redis.call('MGET', unpack(posts))}
end

-- KEYS: timeline; ARGV: ttl seconds for a building marker, the claim's token.
-- Returns 1 if the caller now owns the rebuild, 0 if the timeline exists
-- or another caller is already rebuilding it.
local function tl_begin_rebuild(keys, args)
  if redis.call('EXISTS', keys[1]) == 1 then return 0 end
  redis.call('RPUSH', keys[1], 'b' .. (args[2] or ''))
  redis.call('EXPIRE', keys[1], tonumber(args[1]))
  return 1
end

-- Merge sorted-desc unique id lists a and b, keeping at most limit.
local function merge(a, b, limit)
  local out, i, j = {}, 1, 1
  while #out < limit and (i <= #a or j <= #b) do
    local x, y = a[i], b[j]
    if y == nil or (x ~= nil and newer(x, y)) then
      out[#out + 1] = x; i = i + 1
    elseif x == nil or newer(y, x) then
      out[#out + 1] = y; j = j + 1
    else
      out[#out + 1] = x; i = i + 1; j = j + 1
    end
  end
  return out, (i <= #a or j <= #b)
end

local function sorted_ids(list)
  local out = {}
  for i = 1, #list do
    if not is_mark(list[i]) then out[#out + 1] = list[i] end
  end
  table.sort(out, newer)
  return out
end

local function rewrite(key, ids, mark, ttl_ms)
  redis.call('DEL', key)
  for i = 1, #ids, 1000 do
    redis.call('RPUSH', key, unpack(ids, i, math.min(i + 999, #ids)))
  end
  if mark then redis.call('RPUSH', key, mark) end
  if ttl_ms > 0 then redis.call('PEXPIRE', key, ttl_ms) end
end

-- Install a rebuilt timeline: the snapshot merged with what fan-out pushed
-- while it was read, so no post falls in between. -1 (nothing written) when
-- the list's tail is not the expected building mark: the mark expired (and
-- with it whatever fan-out pushed, and fan-out skipped the missing key since)
-- or another claim replaced it. Only the next rebuild can see those posts.
local function finish(key, expected_mark, max, ttl, complete, args, first)
  local tail = redis.call('LINDEX', key, -1)
  if not is_building(tail) or (expected_mark and tail ~= expected_mark) then return -1 end
  local snapshot = {}
  for i = first, #args do snapshot[#snapshot + 1] = args[i] end
  local pushed = sorted_ids(redis.call('LRANGE', key, 0, -1))
  local ids, cut = merge(pushed, sorted_ids(snapshot), max)
  local mark = nil
  if complete and not cut then mark = '0' end
  rewrite(key, ids, mark, ttl * 1000)
  return #ids
end

-- KEYS: timeline; ARGV: max, ttl seconds, complete (1 when the snapshot holds
-- every post of the timeline), then snapshot ids. Finishes whichever claim is
-- in progress (callers without a token); -1 when none is.
local function tl_finish_rebuild(keys, args)
  return finish(keys[1], nil, tonumber(args[1]), tonumber(args[2]), args[3] == '1', args, 4)
end

-- KEYS: timeline; ARGV: the claim's token, max, ttl seconds, complete, then
-- snapshot ids. Finishes the rebuild only if that claim still holds; -1 if not.
local function tl_finish_claim(keys, args)
  return finish(keys[1], 'b' .. args[1], tonumber(args[2]), tonumber(args[3]), args[4] == '1', args, 5)
end

-- KEYS: timeline; ARGV: the claim's token. Gives a claimed rebuild up (an error,
-- a deadline): the list goes, so the next read claims it again. Another
-- caller's claim, or a finished list, is left alone. Returns 1 if it went.
local function tl_abandon_rebuild(keys, args)
  if redis.call('LINDEX', keys[1], -1) ~= 'b' .. args[1] then return 0 end
  redis.call('DEL', keys[1])
  return 1
end

-- KEYS: timelines; ARGV: max, then ids to merge (a follow's backfill).
-- Missing or building timelines are left alone: their rebuild sees the follow.
-- So is one in its last millisecond: PTTL answers 0 then, and a list rewritten
-- with that TTL would have none, an inactive user's timeline kept for good.
local function tl_merge(keys, args)
  local max = tonumber(args[1])
  local incoming = {}
  for i = 2, #args do incoming[#incoming + 1] = args[i] end
  incoming = sorted_ids(incoming)
  local merged = 0
  for k = 1, #keys do
    local key = keys[k]
    local tail = redis.call('LINDEX', key, -1)
    local ttl = redis.call('PTTL', key)
    if tail and not is_building(tail) and ttl ~= 0 then
      local current = sorted_ids(redis.call('LRANGE', key, 0, -1))
      local usable = incoming
      if tail ~= '0' then  -- truncated: nothing older than the tail belongs in it
        usable = {}
        for i = 1, #incoming do
          if newer(incoming[i], current[#current]) then usable[#usable + 1] = incoming[i] end
        end
      end
      local ids, cut = merge(current, usable, max)
      local mark = nil
      if tail == '0' and not cut then mark = '0' end
      rewrite(key, ids, mark, ttl)
      merged = merged + 1
    end
  end
  return merged
end

-- KEYS: an organization's set of read-time sources, and its version counter; ARGV: the version
-- the caller knows. Returns {version} when that is still the version (the caller's copy is
-- current), else {version, size, members...}. Called with the set alone (a process from before
-- the version, during a rolling upgrade), it answers as it did then: the size is the version.
local function tl_celebrities(keys, args)
  if keys[2] == nil then
    local count = redis.call('SCARD', keys[1])
    if count == tonumber(args[1]) then return {count} end
    local out = redis.call('SMEMBERS', keys[1])
    table.insert(out, 1, count)
    return out
  end
  local version = tonumber(redis.call('GET', keys[2]) or '0')
  if version == tonumber(args[1]) then return {version} end
  local out = redis.call('SMEMBERS', keys[1])
  table.insert(out, 1, #out)
  table.insert(out, 1, version)
  return out
end

-- Bumps a registry's version counter. A missing one (Redis lost it, or never had one) starts at
-- Redis's clock in microseconds, not at 1: a registry that starts over after a flush never
-- answers a version a reader saw before it, nor one below it (readers keep their copy of the
-- members while the version is the same, and drop answers older than it: feed/timeline/directory.py).
-- Versions stay unique while the set changes less than once per microsecond on average.
local function bump_version(key)
  if redis.call('EXISTS', key) == 1 then
    redis.call('INCR', key)
  else
    local now = redis.call('TIME')
    redis.call('SET', key, now[1] .. string.format('%06d', tonumber(now[2])))
  end
end

-- KEYS: the set of read-time sources, its version counter; ARGV: the most members the set may
-- hold (0: no bound), then members. Members already in the set stay; new ones are added while
-- there is room. The version is bumped when any was added. Returns {refused, admitted...}.
local function rt_register(keys, args)
  local max = tonumber(args[1])
  local count = redis.call('SCARD', keys[1])
  local out, added = {0}, 0
  for i = 2, #args do
    local member = args[i]
    if redis.call('SISMEMBER', keys[1], member) == 1 then
      out[#out + 1] = member
    elseif max == 0 or count < max then
      redis.call('SADD', keys[1], member)
      count, added = count + 1, added + 1
      out[#out + 1] = member
    else
      out[1] = out[1] + 1
    end
  end
  if added > 0 then bump_version(keys[2]) end
  return out
end

-- KEYS: the set of read-time sources, its version counter; ARGV: members to forget.
-- Returns how many left the set; the version is bumped when any did.
local function rt_forget(keys, args)
  local removed = redis.call('SREM', keys[1], unpack(args))
  if removed > 0 then bump_version(keys[2]) end
  return removed
end

-- KEYS: a retired source's list; ARGV: its head (newest entry, '' for none) and length as
-- the caller read them. Deletes it only if nothing changed since: 1 if it went, else 0.
local function tl_retire(keys, args)
  local head = redis.call('LINDEX', keys[1], 0) or ''
  if head ~= args[1] or redis.call('LLEN', keys[1]) ~= tonumber(args[2]) then return 0 end
  redis.call('DEL', keys[1])
  return 1
end

-- KEYS: lists to create as complete and empty if missing (celebrity post lists).
local function tl_ensure(keys, args)
  local created = 0
  for i = 1, #keys do
    if redis.call('EXISTS', keys[i]) == 0 then
      redis.call('RPUSH', keys[i], '0')
      created = created + 1
    end
  end
  return created
end

-- KEYS[1]: a user's token bucket (a hash: t = tokens, ts = last refill in ms);
-- ARGV: rate per second, burst. Refill by the time elapsed on Redis's own clock
-- (replicas with skewed clocks agree), then take a token: 0, or the ms until one is due.
local function rl_take(keys, args)
  local rate, burst = tonumber(args[1]), tonumber(args[2])
  local now = redis.call('TIME')
  local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  local state = redis.call('HMGET', keys[1], 't', 'ts')
  local tokens, ts = tonumber(state[1]), tonumber(state[2])
  if tokens == nil then tokens, ts = burst, now_ms end
  tokens = math.min(burst, tokens + (now_ms - ts) * rate / 1000)
  local wait_ms = 0
  if tokens >= 1 then tokens = tokens - 1 else wait_ms = math.ceil((1 - tokens) * 1000 / rate) end
  redis.call('HSET', keys[1], 't', tokens, 'ts', now_ms)
  redis.call('PEXPIRE', keys[1], math.ceil(burst * 1000 / rate) + 1000)
  return wait_ms
end

-- KEYS[1]: a user's relationship version. rv_get answers its value, first setting it to ARGV[1]
-- (a new random value from the reader) when missing: a reader whose relationships never changed
-- since Redis last lost the key gets a version too, and whatever it caches under it is replaced
-- by the next change's rv_set. rv_set replaces it with ARGV[1], a new random value (never a
-- counter: after a flush a counter would repeat values that readers still hold).
local function rv_get(keys, args)
  local value = redis.call('GET', keys[1])
  if value then
    return value
  end
  redis.call('SET', keys[1], args[1])
  return args[1]
end

local function rv_set(keys, args)
  redis.call('SET', keys[1], args[1])
  return 1
end

redis.register_function{function_name='feed_version', callback=function() return LIBRARY_VERSION end,
  flags={'no-writes'}}
redis.register_function('rv_get', rv_get)
redis.register_function('rv_set', rv_set)
redis.register_function('tl_push', tl_push)
redis.register_function('tl_fanout', tl_fanout)
redis.register_function('tl_repost', tl_repost)
redis.register_function('tl_celebrities', tl_celebrities)
redis.register_function('tl_ensure', tl_ensure)
redis.register_function('rt_register', rt_register)
redis.register_function('rt_forget', rt_forget)
redis.register_function('tl_retire', tl_retire)
redis.register_function('tl_remove', tl_remove)
redis.register_function('tl_page', tl_page)
redis.register_function('tl_newer', tl_newer)
redis.register_function{function_name='tl_page_posts', callback=tl_page_posts, flags={'no-cluster'}}
redis.register_function{function_name='tl_newer_posts', callback=tl_newer_posts, flags={'no-cluster'}}
redis.register_function{function_name='tl_sources_posts', callback=tl_sources_posts, flags={'no-cluster'}}
redis.register_function('tl_begin_rebuild', tl_begin_rebuild)
redis.register_function('tl_finish_rebuild', tl_finish_rebuild)
redis.register_function('tl_finish_claim', tl_finish_claim)
redis.register_function('tl_abandon_rebuild', tl_abandon_rebuild)
redis.register_function('tl_merge', tl_merge)
redis.register_function('rl_take', rl_take)
