"""Property tests: whatever a client sends, the answer is never a 500 and errors keep the one shape."""

import json
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
text = st.text(alphabet=string.printable, max_size=30)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
                           lambda children: st.lists(children, max_size=3)
                           | st.dictionaries(text, children, max_size=3), max_leaves=6)


def assert_clean(response):
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        error = response.get_json()["error"]
        assert set(error) == {"code", "message", "details"}


@FUZZ
@given(params=st.dictionaries(st.sampled_from(["cuisine", "location", "min_rating", "max_price", "sort", "page",
                                               "per_page", "cursor", "other"]), text, max_size=5))
def test_chef_list_query_never_500(client, params):
    assert_clean(client.get("/api/v1/coocook/chefs", query_string=params))


@FUZZ
@given(body=st.dictionaries(st.sampled_from(["chef_id", "date", "slot", "guests", "extra"]), json_values,
                            max_size=5) | json_values)
def test_booking_body_never_500(app, make_user, body):
    if not hasattr(app, "_fuzz_headers"):
        app._fuzz_headers = make_user()[1]
    # stdlib json: it writes integers of any size, which the server must survive too
    response = app.test_client().post("/api/v1/coocook/bookings", data=json.dumps(body),
                                      content_type="application/json", headers=app._fuzz_headers)
    assert_clean(response)
    assert response.status_code in (400, 409, 422) or response.status_code == 201


@FUZZ
@given(raw=st.binary(max_size=64))
def test_register_raw_bytes_never_500(client, raw):
    assert_clean(client.post("/api/v1/auth/register", data=raw, content_type="application/json"))
