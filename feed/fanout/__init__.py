"""Fan-out: plan who receives what (pure), then apply the plan in bulk.

Planning needs every fact up front (who follows the batch's authors, which of
them are celebrities, which posts are still live, which edges still exist),
fetched in bulk by `resolve`; `plan_fanout` then decides without I/O, so it is
tested without Redis or a store; `apply_plan` writes the plan with a few
pipelined round trips. Every step is idempotent, so a batch that is
redelivered after a crash changes nothing a user can see.

A plan never lists deliveries one by one: a post carries a reference to its
author's follower list, and applying turns each author's followers into
timeline keys once per batch (feed/timeline/audience.py), however many posts they made.

Hybrid fan-out: a post of an author with more followers than the celebrity
threshold reaches only the author's own timeline and the author's list of
celebrity posts; readers merge that list into their pages (fan-out on read).

Group posts take the same path with the group's members as the audience: a
post's "source" is its author, or minus its group's id. A group with more
members than the threshold (an organization's announcements group, typically)
is fanned out on read like a celebrity. Every event names its organization,
which the Redis keys it touches carry.
"""
