"""MessageFlow's side of the wire: the ``meta``/``data``/``errors`` envelope, its error and
per-item answers, and the checks on a request's body and paging parameters."""

from __future__ import annotations

import gzip
import json
import random
import zlib
from typing import Any

from aiohttp import web

from ...messageflow import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from ...messageflow.errors import EMPTY_TOKEN, INVALID_BODY, ITEM_INVALID, NO_RESULTS
from .._server import FakeRejection, json_response

__all__ = ["DEFAULT_LIMIT", "EMPTY_TOKEN_BODY", "MAX_LIMIT", "Envelopes", "invalid", "item_error"]

MAX_LIMIT = MAX_PAGE_SIZE
DEFAULT_LIMIT = DEFAULT_PAGE_SIZE

#: the documented 401 body for a request without ``Authorization`` (``meta`` empty, as documented)
EMPTY_TOKEN_BODY: dict[str, Any] = {
    "errors": [
        {
            "title": "Empty token",
            "message": "Cannot find token in your request. Did you set 'Authorization' header?",
            "code": EMPTY_TOKEN,
        }
    ],
    "meta": {},
}


def item_error(
    code: str, title: str, message: str, parameter: str, value: Any, source: Any = None
) -> dict[str, Any]:
    """One entry of ``errors`` about one item of a bulk call."""
    meta: dict[str, Any] = {"parameter": parameter, "value": value}
    if source is not None:
        meta["source"] = source
    return {"title": title, "message": message, "code": code, "meta": meta}


def invalid(parameter: str, value: Any, message: str, source: str | None = None) -> dict[str, Any]:
    return item_error(ITEM_INVALID, "Validation error", message, parameter, value, source)


class Envelopes:
    """Answers in MessageFlow's envelope (every ``meta`` with a fresh ``uniqId``) and the request
    checks that refuse with them."""

    def __init__(self, page_cap: int | None = None) -> None:
        self._rng = random.Random()
        self.page_cap = page_cap

    def meta(self, status: int, data: int, errors: int) -> dict[str, Any]:
        return {
            "numberOfErrors": errors,
            "numberOfData": data,
            "status": status,
            "uniqId": f"{self._rng.getrandbits(40):010x}",
        }

    def ok(self, data: list[Any], status: int = 200, **kwargs: Any) -> web.Response:
        body = {"meta": self.meta(status, len(data), 0), "data": data}
        return json_response(body, status=status, **kwargs)

    def error(self, status: int, code: str, title: str, message: str) -> web.Response:
        error: dict[str, Any] = {"title": title, "message": message, "code": code}
        body = {"meta": self.meta(status, 0, 1), "errors": [error]}
        return json_response(body, status=status)

    def no_results(self) -> web.Response:
        return self.error(404, NO_RESULTS, "Not found", "No results for given criteria")

    def bulk(
        self,
        data: list[Any],
        errors: list[dict[str, Any]],
        *,
        write_data: bool,
        all_failed_status: int,
    ) -> web.Response:
        """A write's answer: 200, 207 (some items failed) or ``all_failed_status``."""
        if not errors:
            if write_data:
                return self.ok(data)
            return json_response({"meta": self.meta(200, len(data), 0)})  # as the seed shows
        status = 207 if data else all_failed_status
        body: dict[str, Any] = {"meta": self.meta(status, len(data), len(errors))}
        if status == 207:
            body["data"] = data
        body["errors"] = errors
        return json_response(body, status=status)

    # -- request checks ----------------------------------------------------------------------------

    def bad_request(self, message: str) -> FakeRejection:
        return FakeRejection(self.error(400, INVALID_BODY, "Invalid request", message))

    async def body(self, request: web.Request) -> Any:
        """The JSON body (gunzipped if need be)."""
        raw = await request.read()
        if not raw:
            raise self.bad_request("A JSON body is required")
        if request.content_type != "application/json":
            raise self.bad_request("Content-Type must be application/json")
        # aiohttp's server usually gunzips already; a body still starting with the gzip magic
        # (an embedding without auto-decompress) is gunzipped here
        if request.headers.get("Content-Encoding", "").lower() == "gzip" and raw[:2] == b"\x1f\x8b":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError, zlib.error):
                raise self.bad_request("The gzip stream is broken") from None
        try:
            return json.loads(raw)
        except ValueError:
            raise self.bad_request("The body is not valid JSON") from None

    def paging(self, request: web.Request) -> tuple[int, int]:
        """``offset`` and ``limit`` (silently capped at ``MAX_LIMIT`` and ``page_cap``)."""
        query = request.query
        try:
            offset = int(query.get("offset", "0"))
            limit = int(query.get("limit", str(DEFAULT_LIMIT)))
        except ValueError:
            raise self.bad_request("offset and limit must be integers") from None
        if offset < 0 or limit < 1:
            raise self.bad_request("offset must be >= 0 and limit >= 1")
        return offset, min(limit, MAX_LIMIT, self.page_cap or MAX_LIMIT)

    def descending(self, request: web.Request) -> bool:
        direction = request.query.get("orderDirection", "DESC").upper()
        if direction not in ("ASC", "DESC"):
            raise self.bad_request("orderDirection must be ASC or DESC")
        return direction == "DESC"

    def id_list(self, body: Any) -> list[Any]:
        ids = body.get("id") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not ids:
            raise self.bad_request('The body must be {"id": [id, ...]}')
        return ids
