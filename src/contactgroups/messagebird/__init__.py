"""MessageBird (legacy REST API at rest.messagebird.com): groups, contacts and membership.

Add up to 50 contact ids per call; remove one per call. Auth: ``Authorization: AccessKey <key>``.

Modules, imported one way: ``wire`` (constants and wire rules) -> ``models`` -> ``errors`` ->
``resources`` (``Groups``, ``Contacts``) -> ``membership`` (the adapter for ``multi``) ->
``client`` (wiring).
"""

from __future__ import annotations

from .client import Client, ClientKeywords
from .errors import CODES, error_details
from .membership import MessageBirdMembership
from .models import (
    Contact,
    CustomDetails,
    ErrorDetail,
    Group,
    LinkedCount,
    Links,
    ListEnvelope,
    converter,
)
from .resources import Contacts, Groups
from .wire import (
    DEFAULT_BASE_URL,
    DEFAULT_CONCURRENCY,
    DEFAULT_PAGE_SIZE,
    MAX_IDS_PER_ADD,
    MAX_IDS_PER_REMOVE,
    PROVIDER,
    normalize_msisdn,
)

__all__ = [
    "CODES",
    "DEFAULT_BASE_URL",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_PAGE_SIZE",
    "MAX_IDS_PER_ADD",
    "MAX_IDS_PER_REMOVE",
    "PROVIDER",
    "Client",
    "ClientKeywords",
    "Contact",
    "Contacts",
    "CustomDetails",
    "ErrorDetail",
    "Group",
    "Groups",
    "LinkedCount",
    "Links",
    "ListEnvelope",
    "MessageBirdMembership",
    "converter",
    "error_details",
    "normalize_msisdn",
]
