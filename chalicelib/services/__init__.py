"""Use cases: one function per command or query, each taking its dependencies from the container."""
