"""Operator tools as a package: run them as modules from the repository root (`python -m scripts.<tool>`).

profiler, load_test, report (the performance toolkit), bench and ratio (the floor comparison of
docs/performance.md), server (the one managed Gunicorn and free-port helper every tool and server
test uses), perf_spec (what domains declare in `backend/<domain>/perf.py`).
"""
