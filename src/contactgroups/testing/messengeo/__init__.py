"""A stateful fake of the Messengeo (Digitaleo) contacts API and its OAuth token endpoint.

One aiohttp app serves both: ``POST /token`` (client credentials, form body, ``expires_in`` as a
string) and the contacts API under ``/rest`` (``/rest/lists``, ``/rest/contacts``) with a bearer
check on every call. Parameters are merged from the query string, a form body and a JSON body;
``metaData`` is a JSON string; non-CRUD operations take ``?action=``. Ids and counters are written
as strings, as the vendor's examples do. File imports finish asynchronously: ``importStatus`` is
``"on"`` until the list has been read ``import_polls`` times and ``import_delay`` seconds passed.

Unconfirmed vendor behaviours are constructor options: the page size cap (``max_limit``), a cap on
ids per membership call (``max_ids_per_call``), answering errors with HTTP 200 and the status in
the body (``errors_as_200``, as older gateways did), and the import timing.

Modules: ``_wire`` (request parameters, envelope, error answers), ``_imports`` (the uploaded file),
``_state`` (lists, contacts, indexes) and ``_fake`` (the server: token endpoint, handlers).
"""

# importable from here, as before the split
from ...messengeo import MAX_IMPORT_BYTES as MAX_IMPORT_BYTES
from ._fake import MessengeoFake

__all__ = ["MessengeoFake"]
