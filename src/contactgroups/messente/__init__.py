"""Messente Phonebook API: groups, contacts and one-phone-at-a-time group membership.

```python
from contactgroups import messente

async with messente.Client(username="...", password="...") as client:
    group = await client.groups.create("VIP")
    await client.contacts.create("+37251000000", first_name="Any")
    await client.groups.add_contact(group.id, "+37251000000")
```

Modules, imported one way: ``wire`` (name, limits, wire helpers) -> ``models``, ``errors`` ->
``resources`` (``Groups``, ``Contacts``) -> ``membership`` (the ``multi`` adapter) -> ``client``.
"""

from .client import Client, ClientKeywords
from .errors import CODES, parse_error
from .membership import MessenteMembership
from .models import Contact, Group
from .resources import Contacts, Groups
from .wire import DEFAULT_BASE_URL, DEFAULT_CONCURRENCY, MAX_PHONES_PER_CALL, PROVIDER

__all__ = [
    "CODES",
    "DEFAULT_BASE_URL",
    "DEFAULT_CONCURRENCY",
    "MAX_PHONES_PER_CALL",
    "PROVIDER",
    "Client",
    "ClientKeywords",
    "Contact",
    "Contacts",
    "Group",
    "Groups",
    "MessenteMembership",
    "parse_error",
]
