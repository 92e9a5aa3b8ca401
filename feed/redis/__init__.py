"""The only owner of Redis: every key, the connections, the one call policy (timing, library
reloads, a silent Redis as Unavailable), the cluster client, packed calls, the Lua library and the
post cache."""
