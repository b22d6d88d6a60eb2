"""A stateful fake of MessageBird's legacy REST API (groups, contacts, membership).

Real paths (no prefix), ``Authorization: AccessKey <key>`` (401 with code 2 otherwise), the
offset/limit list envelope, ``{"errors": [...]}`` bodies, empty 204s, and the request encodings
the official SDKs use: JSON or form bodies, ``ids[]`` (brackets possibly percent-encoded), and the
``GET ...?_method=PUT`` alternative. Unconfirmed vendor behaviours are constructor options.

Modules: ``_wire`` (error answers, request encodings, field checks, rendering) and ``_fake``
(the server: state, helpers for tests, handlers).
"""

# importable from here, as before the split
from ...messagebird import MAX_IDS_PER_ADD as MAX_IDS_PER_ADD
from ._fake import DEFAULT_ACCESS_KEY as DEFAULT_ACCESS_KEY
from ._fake import MessageBirdFake

__all__ = ["MessageBirdFake"]
