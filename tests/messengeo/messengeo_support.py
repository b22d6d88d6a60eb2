"""Shared constants and helpers for the Messengeo tests."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from contactgroups import RetryPolicy

BASE = "https://contacts.messengeo.net/rest"
TOKEN_URL = "https://oauth.messengeo.net/token"
CLIENT_ID = "51612c780b4dbaea8f81995beccbcfec08969d0e"
CLIENT_SECRET = "p280edbd76d510c41990cbe5e6108c7e"
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJpZCI6ImYyMzE2.c2lnbmF0dXJl"

TOKEN_ANSWER = {
    "access_token": TOKEN,
    "expires_in": "3600",
    "token_type": "bearer",
    "scope": "basic",
}

FAST_RETRY = RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.01)


def form(data: Any) -> dict[str, str]:
    """A form-encoded body (bytes) as a dict."""
    assert isinstance(data, bytes), data
    return dict(parse_qsl(data.decode("ascii"), keep_blank_values=True))


def meta(data: Any) -> Any:
    """The decoded ``metaData`` JSON string of a form body."""
    return json.loads(form(data)["metaData"])
