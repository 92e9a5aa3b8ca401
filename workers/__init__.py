"""Workers: long-running consumers of the events topic."""
