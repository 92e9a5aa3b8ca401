"""The write use cases: create and delete a post, follow, unfollow, block, unblock, create, join and leave a group.

Each takes the caller's Principal and plain values, and keeps one order of effects:
validate the input, check who may act (organization, group, blocks), take the
caller's rate limit, change the durable store, then hand on the event
(feed.actions.sink). A publish that fails fails the call; the store change stays,
and a retry (CreatePost with the same idempotency key, or the same Follow,
Unfollow or DeletePost) publishes again. Workers apply events idempotently, so a
re-published event does no harm.

Every call acts inside the caller's organization (feed/access/orgs.py): a user,
post or group of another one answers NotFound, as one that does not exist.
The gRPC servicers (services/) only convert to and from protobuf around these.
"""
