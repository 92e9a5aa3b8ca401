"""The gRPC servers: the write service (posts, follow graph) and the read service (feeds)."""
