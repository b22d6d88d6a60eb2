"""Every problem with a ``base_url`` or ``token_url`` is an ``InvalidRequestError`` (never a plain
``ValueError``), a URL with a user name or password is refused without repeating the password, and
an accepted URL is one every later step can use."""

from __future__ import annotations

from typing import Any

import pytest
import yarl
from hypothesis import example, given, settings
from hypothesis import strategies as st
from secrets_hostile import CLIENTS, PROVIDERS

from contactgroups import errors, messengeo
from contactgroups._http import check_base_url
from contactgroups._http.urls import join_path

BAD = {
    "user info": "https://user:pa55word@api.example.com/v1",
    "user only": "https://pa55word@api.example.com/v1",
    "password only": "https://:pa55word@api.example.com/v1",
    "empty user info": "https://@api.example.com/v1",
    "backslash in the host": "https://api\\example.com/v1",
    "backslash after the host": "https://api.example.com\\@evil.example/v1",
    "port out of range": "https://api.example.com:99999/v1",
    "port not a number": "https://api.example.com:https/v1",
    "port zero": "https://api.example.com:0/v1",
    "space in the host": "https://api example.com/v1",
    "space in the path": "https://api.example.com/v 1",
    "tab": "https://api.example.com/\tv1",
    "newline": "https://api.example.com/v1\r\nX-Injected: 1",
    "bad punycode": "https://xn--a.example.com/v1",
    "NFKC trick": "https://api\u2100.example.com/v1",
    "empty label": "https://api..example.com/v1",
    "percent in the host": "https://api%2eexample.com/v1",
    "broken IPv6": "https://[::1/v1",
    "bad IPv6": "https://[zz::1]/v1",
    "query": "https://api.example.com/v1?key=1",
    "fragment": "https://api.example.com/v1#top",
    "no host": "https:///v1",
    "relative": "/v1",
    "other scheme": "ftp://api.example.com/v1",
    "plain http": "http://api.example.com/v1",
    "not a string": b"https://api.example.com/v1",
}


@pytest.mark.parametrize("url", BAD.values(), ids=BAD.keys())
def test_each_problem_is_an_invalid_request_error(url: Any) -> None:
    with pytest.raises(errors.InvalidRequestError) as info:
        check_base_url(url, allow_insecure_http=False)
    assert type(info.value) is errors.InvalidRequestError
    assert "pa55word" not in str(info.value)
    assert str(info.value).startswith("base_url ")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_client_refuses_user_info_and_never_shows_it(provider: str) -> None:
    for url in (BAD["user info"], BAD["user only"], BAD["password only"]):
        with pytest.raises(errors.InvalidRequestError, match="user name or password") as info:
            CLIENTS[provider](base_url=url)
        assert "pa55word" not in str(info.value) + repr(info.value)
        assert info.value.provider == provider


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("key", ["backslash in the host", "port out of range", "bad punycode"])
def test_a_client_gives_a_typed_error_for_a_url_yarl_cannot_read(provider: str, key: str) -> None:
    with pytest.raises(errors.InvalidRequestError):
        CLIENTS[provider](base_url=BAD[key])


@pytest.mark.parametrize(
    "key", ["user info", "backslash in the host", "port out of range", "bad punycode", "query"]
)
def test_token_url_goes_through_the_same_check(key: str) -> None:
    with pytest.raises(errors.InvalidRequestError, match=r"^token_url ") as info:
        messengeo.Client(client_id="id", client_secret="secret", token_url=BAD[key])
    assert "pa55word" not in str(info.value)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("https://api.example.com/v1/", "https://api.example.com/v1"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://[::1]:8080/v1", "http://[::1]:8080/v1"),
        ("http://localhost:8080/", "http://localhost:8080"),
        ("https://b\u00fccher.example/p\u00e4th", "https://xn--bcher-kva.example/p%C3%A4th"),
    ],
)
def test_a_good_url_is_kept_in_the_form_aiohttp_sends(given: str, kept: str) -> None:
    assert check_base_url(given, allow_insecure_http=False) == kept


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.text(max_size=60),
        st.builds(
            lambda scheme, rest: scheme + rest,
            st.sampled_from(["http://", "https://", "HTTPS://", "http://127.0.0.1:", "https://["]),
            st.text(max_size=40),
        ),
    )
)
@example("https://user:pw@host/x")
@example("https://ho\\st/x")
@example("https://host:99999/")
@example("https://\u2100.com")
def test_fuzz_only_typed_errors_and_usable_urls(text: str) -> None:
    try:
        url = check_base_url(text, allow_insecure_http=True)
    except errors.InvalidRequestError:
        return
    parsed = yarl.URL(url)
    assert parsed.scheme in ("http", "https")
    assert parsed.host
    assert parsed.user is None and parsed.password is None
    assert not parsed.query_string and not parsed.fragment
    built = join_path(url, ["a b", "x/y"], provider="p")
    assert built.host == parsed.host
    assert built.raw_path.endswith("/a%20b/x%2Fy")
    assert check_base_url(url, allow_insecure_http=True) == url  # stable
