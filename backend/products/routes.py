"""Product endpoints (public, cached)."""

from __future__ import annotations

from backend.caching.view import cached_response
from backend.common.api import api_route
from backend.common.pagination import PageQuery
from backend.products import bp, services
from backend.products.schemas import ProductOut, ProductPage


@api_route(bp, "", summary="List subscription products", query=PageQuery, response=ProductPage)
@cached_response(lambda kw: ("products",))
def list_products(query: PageQuery):
    return services.list_products(query.page, query.per_page)


@api_route(bp, "/<id:product_id>", summary="One subscription product", response=ProductOut, errors=[404])
@cached_response(lambda kw: ("products",))
def get_product(product_id: int):
    return services.get_product(product_id)
