"""Fan-out: resolve what a batch needs (reads), plan who receives what (pure), apply the plan (writes).

`resolve` does every read, in bulk: who follows the batch's authors, which
sources are read-time, which posts are still live, which edges and memberships
still exist, the newest posts a follow or a join backfills (or an unfollow or a
leave removes) and which of those are in a read-time list already.
`plan_fanout` then decides without I/O, so it is tested without Redis or a
store; `apply_plan` only writes, with a few pipelined round trips. Every step
is idempotent, so a batch that is redelivered after a crash changes nothing a
user can see.

A plan never lists deliveries one by one: a post carries a reference to its
author's follower list, and applying turns each author's followers into
timeline keys once per batch (feed/timeline/audience.py), however many posts they made.

Hybrid fan-out: a post of a source (feed.domain.Source: an author, or a group
whose audience is its members) with an audience above the threshold reaches
only the author's own timeline and the source's read-time list; readers merge
that list into their pages (fan-out on read). Every event names its
organization, which the Redis keys it touches carry.
"""
