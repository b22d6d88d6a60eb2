"""MessageFlow (Vercom) API v2.1: contact groups, their members, and contact search.

```python
from contactgroups import messageflow

async with messageflow.Client(authorization="...", application_key="...") as mf:
    created = await mf.groups.create(name="VIP customers")
    result = await mf.groups.add_contacts(created.data[0].id, ["123", "124"])
```
"""

from .client import DEFAULT_BASE_URL, MAX_PAGE_SIZE, Client, Contacts, Groups
from .membership import MessageFlowMembership
from .models import BulkResult, Contact, Group, GroupInput, GroupUpdate, ItemError, converter

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_PAGE_SIZE",
    "BulkResult",
    "Client",
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
