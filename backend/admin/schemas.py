"""Admin request/response schemas: they validate input and document the OpenAPI contract."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from backend.common.pagination import PageQuery


class SlowQueryListQuery(PageQuery):
    """page/per_page or a keyset cursor over the slow-query log (largest total time first)."""


class SlowQueryOut(BaseModel):
    """One normalised statement above SLOW_QUERY_MS, summed over every worker."""

    id: str
    sql: str
    count: int
    total_ms: float
    mean_ms: float
    max_ms: float
    last_seen: dt.datetime
    plan: list[str] | None
    plan_error: str | None


class SlowQueryPage(BaseModel):
    """The list envelope of slow queries."""

    items: list[SlowQueryOut]
    page: int | None
    per_page: int
    total: int
    next_cursor: str | None


class PoolOut(BaseModel):
    """This worker's pool now, plus checkout waits summed over every worker."""

    pool_class: str
    size: int | None = None
    checked_out: int | None = None
    checked_in: int | None = None
    overflow: int | None = None
    max_overflow: int | None = None
    timeout_s: float | None = None
    checkouts: int
    waits: int
    wait_ms: float
    wait_ms_max: float
    timeouts: int


class IndexOut(BaseModel):
    """An index as the database reports it (expressions shown as text)."""

    name: str | None
    columns: list[str]
    unique: bool


class TableOut(BaseModel):
    """Row count and indexes of one table."""

    name: str
    rows: int
    indexes: list[IndexOut]


class EndpointOut(BaseModel):
    """Statements and DB time of one endpoint, summed over every worker."""

    endpoint: str
    requests: int
    statements: int
    statements_mean: float
    statements_max: int
    db_ms: float
    db_ms_mean: float
    db_ms_max: float


class WorkerOut(BaseModel):
    """A worker whose data is merged in (the archive of exited workers has no pid)."""

    pid: int
    written_at: float | None
    pool: dict | None


class PerformanceOut(BaseModel):
    """Pool status, tables and per-endpoint DB cost."""

    database: str
    slow_query_ms: float
    pool: PoolOut
    tables: list[TableOut]
    endpoints: list[EndpointOut]
    workers: list[WorkerOut]


class IndexHintOut(BaseModel):
    """A table read in full by a statement that filters it."""

    table: str
    columns: list[str]
    statement_id: str
    statement: str
    plan_line: str
    count: int
    total_ms: float
    create_index: str | None


class OptimizeOut(BaseModel):
    """What ran, and the missing-index hints from the captured plans."""

    database: str
    ran: list[str]
    suggestions: list[IndexHintOut]
