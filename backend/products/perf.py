"""Products' part of the performance tools: profiled endpoints (see scripts.perf_spec); tools only."""

from __future__ import annotations

from scripts.perf_spec import Context, Endpoint, GetJson, fixed


def discover(ctx: Context, get_json: GetJson) -> None:
    """Product ids for the detail samples, through the API."""
    products = get_json("/products?per_page=100")
    ctx.state["product_ids"] = [p["id"] for p in products["items"]]
    ctx.data["products_total"] = products["total"]
    if not ctx.state["product_ids"]:
        raise RuntimeError("the server has no products: seed it first (make seed)")


def _product(ctx: Context, i: int) -> tuple[str, None]:
    ids = ctx.state["product_ids"]
    return f"/products/{ids[i % len(ids)]}", None


PROFILE = [
    Endpoint("products", "GET", "/products", 30, fixed("/products"), is_list=True),
    Endpoint("product_detail", "GET", "/products/{product_id}", 30, _product),
]
