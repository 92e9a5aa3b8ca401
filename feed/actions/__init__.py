"""The write use cases: create and delete a post, follow, unfollow, block, unblock, create, join and leave a group.

Each takes the caller's Principal and plain values, and keeps one order of effects:
validate the input, check who may act (organization, group, blocks), take the
caller's rate limit, then change the durable store together with the events of
the change (feed.actions.sink: a transactional outbox). The store records both
or neither; the outbox relay publishes the events afterwards, so a call succeeds
while the broker is down. Every use case is idempotent end to end: a retry after
any failure (CreatePost with the same idempotency key, DeletePost, Follow, Block,
JoinGroup, LeaveGroup...) does what was left and answers as the first success.
Workers apply events idempotently, so an event recorded twice does no harm.

Every call acts inside the caller's organization (feed/access/orgs.py): a user,
post or group of another one answers NotFound, as one that does not exist.
The gRPC servicers (services/) only convert to and from protobuf around these.
"""
