"""Observability: what the app spends its time on, per request and across workers.

`timing`: statement count and DB time per request, the Server-Timing header, observers.
`insight`, `store`, `pool`, `sqlplan`: the slow-query log with plans, per-endpoint DB stats and
pool waits, shared across workers through per-process snapshot files.
"""
