"""Observability: statement timing and Server-Timing (`timing`), the slow-query log with plans,
per-endpoint DB stats and pool waits shared across workers (`insight`, `store`, `pool`, `sqlplan`)."""
