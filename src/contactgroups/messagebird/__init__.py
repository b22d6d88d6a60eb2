"""MessageBird (legacy REST API at rest.messagebird.com): groups, contacts and membership.

Add up to 50 contact ids per call; remove one per call. Auth: ``Authorization: AccessKey <key>``.
"""

from __future__ import annotations

from .client import DEFAULT_BASE_URL, MAX_IDS_PER_ADD, Client, Contacts, Groups
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

__all__ = [
    "CODES",
    "DEFAULT_BASE_URL",
    "MAX_IDS_PER_ADD",
    "Client",
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
]
