"""Messengeo (Digitaleo): contact lists (the vendor's word for groups) and their members.

```python
from contactgroups import messengeo

async with messengeo.Client(client_id="...", client_secret="...") as client:
    new = await client.lists.create("Clients Nantes")
    await client.lists.add_contacts(new.id, ["81583724", "81583721"])
```

Modules, imports running one way: ``wire`` (name, limits, request encoding) -> ``models``,
``errors``, ``auth`` -> ``answers`` (envelope, pagers) -> ``lists``, ``contacts`` ->
``membership`` (the ``multi`` adapter) -> ``client`` (wiring).
"""

from .auth import ClientCredentials
from .client import Client, ClientKeywords
from .contacts import Contacts
from .errors import is_error, parse_error, parse_oauth_error
from .lists import Lists
from .membership import MessengeoMembership
from .models import (
    CONTACT_PROPERTIES,
    LIST_DEFAULT_PROPERTIES,
    LIST_PROPERTIES,
    Contact,
    ContactList,
    ImportResult,
    ListStats,
    NewContact,
    converter,
)
from .wire import (
    DEFAULT_BASE_URL,
    DEFAULT_CONCURRENCY,
    DEFAULT_IDS_PER_CALL,
    DEFAULT_PAGE_SIZE,
    DEFAULT_TOKEN_URL,
    IMPORT_EXTENSIONS,
    MAX_IDS_IN_BODY,
    MAX_IDS_IN_QUERY,
    MAX_IMPORT_BYTES,
    MAX_NEW_CONTACTS,
    PROVIDER,
)

__all__ = [
    "CONTACT_PROPERTIES",
    "DEFAULT_BASE_URL",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_IDS_PER_CALL",
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_TOKEN_URL",
    "IMPORT_EXTENSIONS",
    "LIST_DEFAULT_PROPERTIES",
    "LIST_PROPERTIES",
    "MAX_IDS_IN_BODY",
    "MAX_IDS_IN_QUERY",
    "MAX_IMPORT_BYTES",
    "MAX_NEW_CONTACTS",
    "PROVIDER",
    "Client",
    "ClientCredentials",
    "ClientKeywords",
    "Contact",
    "ContactList",
    "Contacts",
    "ImportResult",
    "ListStats",
    "Lists",
    "MessengeoMembership",
    "NewContact",
    "converter",
    "is_error",
    "parse_error",
    "parse_oauth_error",
]
