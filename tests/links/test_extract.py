"""Extraction from fixture HTML, platform detection and the reuse of URL normalisation (no database)."""

from __future__ import annotations

import pytest

from backend.integrations.safefetch import FetchRefused
from backend.integrations.urlnorm import url_hash
from backend.links.extract import detect_platform, extract

PAGE = b"""<!doctype html><html><head>
<title>  Fallback   title </title>
<meta name="description" content="plain description">
<meta property="og:title" content="Bibimbap &amp; friends">
<meta property="og:description" content="A bowl, seen from above">
<meta property="og:site_name" content="Insta">
<meta property="og:type" content="article">
<meta property="og:image" content="/img/a.jpg">
<meta property="og:image" content="https://cdn.example.net/b.png">
<meta property="og:image" content="javascript:alert(1)">
<meta property="og:video" content="https://cdn.example.net/v.mp4">
<meta name="twitter:image" content="https://cdn.example.net/b.png">
<link rel="canonical" href="/p/42">
<script type="application/ld+json">{"@type": "Article", "headline": "LD headline",
 "author": [{"@type": "Person", "name": "Chef Kim"}], "datePublished": "2026-11-30",
 "image": {"@type": "ImageObject", "url": "https://cdn.example.net/c.webp"}}</script>
<script type="application/ld+json">{not json</script>
</head><body>x</body></html>"""


def test_open_graph_wins_and_json_ld_fills_the_rest():
    meta = extract(PAGE, "https://www.example.com/p/42?x=1")
    assert meta["title"] == "Bibimbap & friends"
    assert meta["description"] == "A bowl, seen from above"
    assert meta["site_name"] == "Insta" and meta["type"] == "article"
    assert meta["author"] == "Chef Kim" and meta["published_at"] == "2026-11-30"
    assert meta["canonical_url"] == "https://www.example.com/p/42"
    # relative URLs resolved, duplicates dropped, non-http schemes dropped, JSON-LD images included
    assert meta["images"] == ["https://www.example.com/img/a.jpg", "https://cdn.example.net/b.png",
                              "https://cdn.example.net/c.webp"]
    assert meta["videos"] == ["https://cdn.example.net/v.mp4"]
    assert [d["headline"] for d in meta["json_ld"]] == ["LD headline"]  # the broken block is skipped


def test_without_open_graph_it_falls_back_to_title_description_and_json_ld():
    html = b"""<html><head><title>Only a title</title><meta name="description" content="d">
    <script type="application/ld+json">[{"@type": "VideoObject", "name": "Clip", "thumbnailUrl": ["t.jpg"],
    "contentUrl": "https://v.example/clip.mp4", "uploadDate": "2026-01-02"}]</script></head></html>"""
    meta = extract(html, "https://example.org/a/b")
    assert meta["title"] == "Clip" and meta["description"] == "d" and meta["type"] == "VideoObject"
    assert meta["images"] == ["https://example.org/a/t.jpg"]
    assert meta["videos"] == ["https://v.example/clip.mp4"]
    assert meta["published_at"] == "2026-01-02"
    bare = extract(b"<html><head><title>T</title></head></html>", "https://example.org/")
    assert bare["title"] == "T" and bare["images"] == [] and bare["json_ld"] == []


def test_media_are_capped():
    html = "".join(f'<meta property="og:image" content="/{i}.png">' for i in range(20))
    assert len(extract(html, "https://example.org/", media_limit=3)["images"]) == 3


@pytest.mark.parametrize(("url", "platform"), [
    ("https://www.youtube.com/watch?v=abc", "youtube"), ("https://youtu.be/abc", "youtube"),
    ("https://m.youtube.com/shorts/x", "youtube"), ("https://www.instagram.com/p/Cx/", "instagram"),
    ("https://www.tiktok.com/@chef/video/1", "tiktok"), ("https://chef.medium.com/post", "blog"),
    ("https://blog.naver.com/chef/1", "blog"), ("https://blog.example.co.kr/1", "blog"),
    ("https://foo.tistory.com/3", "blog"), ("https://example.com/youtube.com", "generic"),
    ("https://notyoutube.com/", "generic"), ("https://youtube.com.evil.example/", "generic"),
])
def test_platform_by_host(url, platform):
    assert detect_platform(url) == platform


def test_variants_of_one_url_share_a_hash_and_bad_urls_are_refused():
    same = ["https://WWW.Example.com:443/p/1?b=2&a=1#top", "https://www.example.com/p/1?a=1&b=2&utm_source=x",
            "https://www.example.com/p/./1?fbclid=zz&a=1&b=2"]
    assert len({url_hash(u) for u in same}) == 1
    for bad, reason in (("ftp://example.com/x", "bad_scheme"), ("https://u:p@example.com/", "userinfo"),
                        ("javascript:alert(1)", "bad_scheme")):
        with pytest.raises(FetchRefused) as caught:
            url_hash(bad)
        assert caught.value.reason == reason
