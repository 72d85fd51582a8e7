"""integrations.urlnorm: spellings of one page share a normal form and a hash; different pages do not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.integrations.safefetch import FetchRefused
from backend.integrations.urlnorm import normalise_url, url_hash

SAME = [
    ("HTTP://Example.COM/", "http://example.com/"),
    ("http://example.com", "http://example.com/"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("http://example.com./a", "http://example.com/a"),
    ("http://example.com/a#section-2", "http://example.com/a"),
    ("http://example.com/a?", "http://example.com/a"),
    ("http://example.com/a?b=2&a=1", "http://example.com/a?a=1&b=2"),
    ("http://example.com/a?utm_source=x&utm_medium=y&id=7&UTM_Campaign=z", "http://example.com/a?id=7"),
    ("http://example.com/a?fbclid=abc&gclid=def&id=7", "http://example.com/a?id=7"),
    ("http://example.com/a/./b/../c", "http://example.com/a/c"),
    ("http://example.com/../../x", "http://example.com/x"),
    ("http://example.com/%7Euser", "http://example.com/~user"),
    ("http://example.com/caf%c3%a9", "http://example.com/caf%C3%A9"),
    ("http://example.com/café", "http://example.com/caf%C3%A9"),
    ("http://example.com/a b", "http://example.com/a%20b"),
    ("http://example.com/?q=a+b", "http://example.com/?q=a%20b"),
    ("http://bücher.de/", "http://xn--bcher-kva.de/"),
    ("http://[::1]:80/", "http://[::1]/"),
    ("  https://example.com/x  ", "https://example.com/x"),
]
DIFFERENT = [
    ("http://example.com/a", "https://example.com/a"),  # scheme
    ("http://example.com/a", "http://example.com:8080/a"),  # a non-default port
    ("http://example.com/A", "http://example.com/a"),  # path case
    ("http://example.com/a", "http://example.com/a/"),
    ("http://example.com//a", "http://example.com/a"),
    ("http://example.com/a%2Fb", "http://example.com/a/b"),  # an encoded slash is data, not a separator
    ("http://example.com/?q=1", "http://example.com/?q=2"),
    ("http://example.com/?flag", "http://example.com/?flag="),
    ("http://example.com/?q=a%26b", "http://example.com/?q=a&b"),
    ("http://example.com/?id=1&id=2", "http://example.com/?id=1"),
]


@pytest.mark.parametrize(("given_url", "expected"), SAME)
def test_spellings_of_one_page_normalise_alike(given_url, expected):
    assert normalise_url(given_url) == expected
    assert url_hash(given_url) == url_hash(expected)
    assert len(url_hash(given_url)) == 64


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_pages_keep_different_hashes(a, b):
    assert url_hash(a) != url_hash(b)


def test_repeated_keys_keep_all_values_sorted():
    assert normalise_url("http://example.com/?id=2&id=1&a=x") == "http://example.com/?a=x&id=1&id=2"


@pytest.mark.parametrize(("url", "reason"), [
    ("ftp://example.com/", "bad_scheme"), ("javascript:alert(1)", "bad_scheme"), ("example.com/a", "bad_scheme"),
    ("http://user:pw@example.com/", "userinfo"), ("http:///a", "bad_host"), ("http://example.com:99999/", "bad_port"),
])
def test_urls_that_are_never_fetched_are_refused(url, reason):
    with pytest.raises(FetchRefused) as caught:
        normalise_url(url)
    assert caught.value.reason == reason and caught.value.status == 422


segment = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=8)


@given(path=st.lists(segment, max_size=4), query=st.lists(st.tuples(segment, segment), max_size=4))
def test_normalising_is_idempotent(path, query):
    url = "http://Example.com/" + "/".join(path) + "?" + "&".join(f"{k}={v}" for k, v in query)
    once = normalise_url(url)
    assert normalise_url(once) == once
