"""The browser's edge: Connect and gRPC-Web for every service, on one HTTP origin (`feed serve web`).

A gateway, not a second implementation: each call is forwarded over gRPC to the service that
owns it, so authentication, limits, validation, errors and metrics stay the gRPC port's
(docs/web.md says why). The demo page's files live in static/ beside this module.
"""

PID_HEADER = "x-feed-pid"  # on GET /healthz: the answering process (feed.devstack checks it is its child)
