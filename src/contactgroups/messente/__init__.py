"""Messente Phonebook API: groups, contacts and one-phone-at-a-time group membership.

```python
from contactgroups import messente

async with messente.Client(username="...", password="...") as client:
    group = await client.groups.create("VIP")
    await client.contacts.create("+37251000000", first_name="Any")
    await client.groups.add_contact(group.id, "+37251000000")
```
"""

from .client import DEFAULT_BASE_URL, Client, Contacts, Groups
from .errors import CODES, parse_error
from .membership import MessenteMembership
from .models import Contact, Group

__all__ = [
    "CODES",
    "DEFAULT_BASE_URL",
    "Client",
    "Contact",
    "Contacts",
    "Group",
    "Groups",
    "MessenteMembership",
    "parse_error",
]
