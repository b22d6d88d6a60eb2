"""MessageFlow (Vercom) API v2.1: contact groups, their members, and contact search.

```python
from contactgroups import messageflow

async with messageflow.Client(authorization="...", application_key="...") as mf:
    created = await mf.groups.create(name="VIP customers")
    result = await mf.groups.add_contacts(created.data[0].id, ["123", "124"])
```

Modules, in import order: ``wire`` (constants, id encoding, envelope readers), ``models``,
``errors``, ``listing``, ``groups`` and ``contacts`` (the resources), ``membership`` (the adapter
``multi`` uses) and ``client`` (wiring).
"""

from .client import Client, ClientKeywords
from .contacts import Contacts
from .groups import Groups
from .membership import MessageFlowMembership
from .models import BulkResult, Contact, Group, GroupInput, GroupUpdate, ItemError, converter
from .wire import (
    DEFAULT_BASE_URL,
    DEFAULT_CONCURRENCY,
    DEFAULT_PAGE_SIZE,
    MAX_IDS_PER_CALL,
    MAX_PAGE_SIZE,
    PROVIDER,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_PAGE_SIZE",
    "MAX_IDS_PER_CALL",
    "MAX_PAGE_SIZE",
    "PROVIDER",
    "BulkResult",
    "Client",
    "ClientKeywords",
    "Contact",
    "Contacts",
    "Group",
    "GroupInput",
    "GroupUpdate",
    "Groups",
    "ItemError",
    "MessageFlowMembership",
    "converter",
]
