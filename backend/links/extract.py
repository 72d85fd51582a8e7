"""What a page says about itself: Open Graph, Twitter cards, JSON-LD, <title> and description.

Parsed with selectolax (lexbor), which reads a 1 MB page in milliseconds and never executes
anything. Media URLs are resolved against the page URL, deduplicated and capped; only http(s)
URLs are kept (they are fetched later through the safe fetcher, which vets them again).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

from backend.links.models import Platform

_HOSTS = {"youtube.com": Platform.YOUTUBE, "youtu.be": Platform.YOUTUBE, "youtube-nocookie.com": Platform.YOUTUBE,
          "instagram.com": Platform.INSTAGRAM, "instagr.am": Platform.INSTAGRAM, "tiktok.com": Platform.TIKTOK,
          "medium.com": Platform.BLOG, "substack.com": Platform.BLOG, "blogspot.com": Platform.BLOG,
          "wordpress.com": Platform.BLOG, "tistory.com": Platform.BLOG, "velog.io": Platform.BLOG,
          "blog.naver.com": Platform.BLOG, "brunch.co.kr": Platform.BLOG, "tumblr.com": Platform.BLOG}
TEXT_MAX = 2000  # longest title/description kept
JSON_LD_MAX = 20_000  # characters of JSON-LD kept per page
JSON_LD_BLOCKS = 5


def scrub(value: Any) -> Any:
    """`value` without NUL characters in any string (PostgreSQL refuses them in text and JSONB)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    return value


def detect_platform(url: str) -> Platform:
    """The platform of a URL by its host (a sub-domain counts: m.youtube.com is YouTube)."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    labels = host.split(".")
    for i in range(len(labels) - 1):
        found = _HOSTS.get(".".join(labels[i:]))
        if found:
            return found
    return Platform.BLOG if labels[0] == "blog" and len(labels) > 2 else Platform.GENERIC


def _clip(value: Any) -> str | None:
    text = " ".join(str(value).split()) if value is not None else ""
    return text[:TEXT_MAX] or None


def _metas(tree: LexborHTMLParser) -> tuple[dict[str, list[str]], dict[str, str]]:
    """(property/name -> contents) for og:/twitter:/article: tags, and the plain name= metas."""
    props: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for node in tree.css("meta"):
        attrs = node.attributes
        content = attrs.get("content")
        key = (attrs.get("property") or attrs.get("name") or "").strip().lower()
        if not key or content is None:
            continue
        if key.startswith(("og:", "twitter:", "article:", "video:")):
            props.setdefault(key, []).append(content.strip())
        else:
            names.setdefault(key, content.strip())
    return props, names


def _json_ld(tree: LexborHTMLParser) -> list[Any]:
    """Parsed JSON-LD blocks (bad JSON is skipped: pages get it wrong often)."""
    found: list[Any] = []
    for node in tree.css('script[type="application/ld+json"]')[:JSON_LD_BLOCKS]:
        text = (node.text() or "").strip()[:JSON_LD_MAX]
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):  # broken, or nested deeper than the parser's stack
            continue
        found.extend(data if isinstance(data, list) else [data])
    return [d for d in found if isinstance(d, dict)]


def _ld_urls(value: Any) -> list[str]:
    """URLs in a JSON-LD image/video/thumbnailUrl value (a string, an object with url, or a list)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return _ld_urls(value.get("contentUrl") or value.get("url") or value.get("thumbnailUrl"))
    if isinstance(value, list):
        return [u for item in value for u in _ld_urls(item)]
    return []


def _media(base: str, candidates: list[str], limit: int) -> list[str]:
    seen: list[str] = []
    for raw in candidates:
        url = urljoin(base, raw.strip()) if raw and raw.strip() else ""
        if urlsplit(url).scheme in ("http", "https") and url not in seen:
            seen.append(url)
    return seen[:limit]


def _first(props: dict[str, list[str]], *keys: str) -> str | None:
    for key in keys:
        if props.get(key):
            return props[key][0]
    return None


def extract(html: bytes | str, page_url: str, media_limit: int = 6) -> dict[str, Any]:
    """The page's metadata: title, description, site, type, author, published, images, videos, json_ld."""
    tree = LexborHTMLParser(html if isinstance(html, str) else html.decode("utf-8", "replace"))
    props, names = _metas(tree)
    ld = _json_ld(tree)
    ld_first = ld[0] if ld else {}
    title_node = tree.css_first("title")
    canonical = tree.css_first('link[rel="canonical"]')
    author = ld_first.get("author")
    if isinstance(author, list):
        author = author[0] if author else None
    if isinstance(author, dict):
        author = author.get("name")
    images = props.get("og:image", []) + props.get("og:image:url", []) + props.get("og:image:secure_url", []) + \
        props.get("twitter:image", []) + props.get("twitter:image:src", []) + \
        [u for d in ld for u in _ld_urls(d.get("image")) + _ld_urls(d.get("thumbnailUrl"))]
    videos = props.get("og:video", []) + props.get("og:video:url", []) + props.get("og:video:secure_url", []) + \
        props.get("twitter:player:stream", []) + [u for d in ld for u in _ld_urls(d.get("video"))] + \
        [d["contentUrl"] for d in ld if isinstance(d.get("contentUrl"), str)]
    return {
        "title": _clip(_first(props, "og:title", "twitter:title") or ld_first.get("headline") or ld_first.get("name")
                       or (title_node.text() if title_node else None)),
        "description": _clip(_first(props, "og:description", "twitter:description") or names.get("description")
                             or ld_first.get("description")),
        "site_name": _clip(_first(props, "og:site_name")),
        "type": _clip(_first(props, "og:type") or ld_first.get("@type")),
        "author": _clip(author or names.get("author") or _first(props, "article:author")),
        "published_at": _clip(_first(props, "article:published_time") or ld_first.get("datePublished")
                              or ld_first.get("uploadDate")),
        "canonical_url": _clip(urljoin(page_url, canonical.attributes.get("href") or "") if canonical else
                               _first(props, "og:url")),
        "images": _media(page_url, images, media_limit),
        "videos": _media(page_url, videos, media_limit),
        "json_ld": ld,
    }
