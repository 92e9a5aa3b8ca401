"""The only owner of Redis: every key, the connections, the cluster client, packed calls,
the Lua library and the post cache."""
