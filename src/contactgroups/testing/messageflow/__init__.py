"""A stateful fake of the MessageFlow API v2.1 (groups, members, contact search) for tests.

Serves ``/v2.1/group``, ``/v2.1/group/{groupId}/contact``, ``/v2.1/group/{groupId}/count`` and
``/v2.1/contact`` with the vendor's envelope, both auth headers, offset/limit pages of at most 1000,
404 for an empty page, 207 per-item errors, 202 + ``Retry-After`` + ``Expires`` for the count of a
dynamic group, and gzip request bodies. Behaviours the vendor does not document are options.
Members are kept in insertion order with O(1) add/remove and page slicing, so a 1,000,000-member
group lists without copying the membership per page.

Modules: ``_state`` (groups, count jobs, contacts), ``_wire`` (the envelope, error answers and
request checks) and ``_fake`` (the server: options, helpers for tests, handlers).
"""

from ._fake import DEFAULT_APPLICATION_KEY, DEFAULT_AUTHORIZATION, MessageFlowFake

# importable from here, as before the split
from ._wire import DEFAULT_LIMIT as DEFAULT_LIMIT
from ._wire import EMPTY_TOKEN_BODY as EMPTY_TOKEN_BODY
from ._wire import MAX_LIMIT as MAX_LIMIT

__all__ = ["DEFAULT_APPLICATION_KEY", "DEFAULT_AUTHORIZATION", "MessageFlowFake"]
