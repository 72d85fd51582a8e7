"""Response caching: finished bytes of public GETs, their generations, the L1 in front of Flask.

- `view`: the `cached_response` decorator (view cache keyed by generation + path + validated query),
  `public_response` (ETag / 304 / Cache-Control) and `invalidate()` for services after a commit.
- `generations`: one counter per namespace shared by every worker (mmap file or Redis).
- `l1`: a per-worker WSGI L1 that answers repeat hits before Flask.
- `compressed`: the bounded store of compressed bodies Flask-Compress reuses per ETag.
- `extension`: `ResponseCaching`, the extension object binding all of it to an app.
"""

from backend.caching.extension import ResponseCache, ResponseCaching, invalidate, response_cache

__all__ = ["ResponseCache", "ResponseCaching", "invalidate", "response_cache"]
