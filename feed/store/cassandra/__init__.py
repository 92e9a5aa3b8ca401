"""The Cassandra backend of the durable store: session, layout, schema, and one module per table family."""
