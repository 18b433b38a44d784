"""Use cases. Each service owns its transaction and appends an event for every write."""
