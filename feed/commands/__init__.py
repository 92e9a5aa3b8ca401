"""The `feed ...` commands: one module per command, each with a main(argv)."""
