"""Every public module keeps its public names (``__all__``) and every listed name resolves.

``PUBLIC_API`` is a snapshot of each public module's ``__all__``: the names at commit bd6f74e (the
start of the "Architecture" redesign) and those the redesign added. New names are fine; a name
may only leave a module as a deprecated alias that still imports (and warns).
"""

from __future__ import annotations

import importlib
import warnings

import pytest

PUBLIC_API: dict[str, tuple[str, ...]] = {
    "contactgroups": (
        "APIError",
        "AuthenticationError",
        "ConflictError",
        "ConnectTimeoutError",
        "ContactGroupsError",
        "GovernorPolicy",
        "InvalidRequestError",
        "MalformedResponseError",
        "NotFoundError",
        "OutcomeUnknownError",
        "RateLimitError",
        "ReadTimeoutError",
        "RetryPolicy",
        "ServerError",
        "Timeout",
        "TimeoutError",
        "TransportError",
        "ValidationError",
        "__version__",
    ),
    "contactgroups.errors": (
        "APIError",
        "AuthenticationError",
        "ConflictError",
        "ConnectTimeoutError",
        "ContactGroupsError",
        "InterruptedCallError",
        "InvalidRequestError",
        "MalformedResponseError",
        "NotFoundError",
        "OutcomeUnknownError",
        "RateLimitError",
        "ReadTimeoutError",
        "ServerError",
        "TimeoutError",
        "TransportError",
        "ValidationError",
        "error_class_for_status",
    ),
    "contactgroups.membership": (
        "AdaptiveConcurrency",
        "BatchResult",
        "HasMembership",
        "MembershipAdapter",
    ),
    "contactgroups.multi": (
        "ADAPTIVE",
        "Action",
        "BatchResult",
        "BulkJob",
        "DEFAULT_MAX_CONCURRENCY",
        "DEFAULT_ROUNDS",
        "HasMembership",
        "InterruptedCallError",
        "JobKeywords",
        "JobStatus",
        "JobOptions",
        "Ledger",
        "MembershipAdapter",
        "Outcome",
        "PerProvider",
        "PerProviderConcurrency",
        "PerProviderRate",
        "Progress",
        "ProgressCallback",
        "ProviderSummary",
        "ROUND_WAIT_MAX",
        "Report",
        "SyncPlan",
        "SyncResult",
        "Target",
        "add",
        "job_status",
        "remove",
        "retry_failed",
        "submit",
        "sync",
        "work",
    ),
    "contactgroups.providers": (
        "Credential",
        "MESSAGEBIRD",
        "MESSAGEFLOW",
        "MESSENGEO",
        "MESSENTE",
        "NAMES",
        "PROVIDERS",
        "Provider",
        "ProviderClient",
        "get",
    ),
    "contactgroups.testing": (
        "FakeRejection",
        "FakeServer",
        "Faults",
        "RecordedRequest",
        "VendorFake",
    ),
    "contactgroups.testing.pytest_plugin": (
        "FAKES",
        "start_fake",
    ),
    "contactgroups.messagebird": (
        "CODES",
        "Client",
        "Contact",
        "Contacts",
        "CustomDetails",
        "DEFAULT_BASE_URL",
        "DEFAULT_CONCURRENCY",
        "DEFAULT_PAGE_SIZE",
        "ErrorDetail",
        "Group",
        "Groups",
        "LinkedCount",
        "Links",
        "ListEnvelope",
        "MAX_IDS_PER_ADD",
        "MAX_IDS_PER_REMOVE",
        "MessageBirdMembership",
        "PROVIDER",
        "converter",
        "error_details",
        "normalize_msisdn",
    ),
    "contactgroups.messente": (
        "CODES",
        "Client",
        "Contact",
        "Contacts",
        "DEFAULT_BASE_URL",
        "DEFAULT_CONCURRENCY",
        "Group",
        "Groups",
        "MAX_PHONES_PER_CALL",
        "MessenteMembership",
        "PROVIDER",
        "parse_error",
    ),
    "contactgroups.messageflow": (
        "BulkResult",
        "Client",
        "Contact",
        "Contacts",
        "DEFAULT_BASE_URL",
        "DEFAULT_CONCURRENCY",
        "DEFAULT_PAGE_SIZE",
        "Group",
        "GroupInput",
        "GroupUpdate",
        "Groups",
        "ItemError",
        "MAX_IDS_PER_CALL",
        "MAX_PAGE_SIZE",
        "MessageFlowMembership",
        "PROVIDER",
        "converter",
    ),
    "contactgroups.messengeo": (
        "CONTACT_PROPERTIES",
        "Client",
        "ClientCredentials",
        "Contact",
        "ContactList",
        "Contacts",
        "DEFAULT_BASE_URL",
        "DEFAULT_CONCURRENCY",
        "DEFAULT_IDS_PER_CALL",
        "DEFAULT_PAGE_SIZE",
        "DEFAULT_TOKEN_URL",
        "IMPORT_EXTENSIONS",
        "ImportResult",
        "LIST_DEFAULT_PROPERTIES",
        "LIST_PROPERTIES",
        "ListStats",
        "Lists",
        "MAX_IDS_IN_BODY",
        "MAX_IDS_IN_QUERY",
        "MAX_IMPORT_BYTES",
        "MAX_NEW_CONTACTS",
        "MessengeoMembership",
        "NewContact",
        "PROVIDER",
        "converter",
        "is_error",
        "parse_error",
        "parse_oauth_error",
    ),
    "contactgroups.testing.messagebird": ("MessageBirdFake",),
    "contactgroups.testing.messente": ("MessenteFake",),
    "contactgroups.testing.messageflow": (
        "DEFAULT_APPLICATION_KEY",
        "DEFAULT_AUTHORIZATION",
        "MessageFlowFake",
    ),
    "contactgroups.testing.messengeo": ("MessengeoFake",),
}


@pytest.mark.parametrize("module_name", sorted(PUBLIC_API))
def test_public_names_are_kept(module_name: str) -> None:
    module = importlib.import_module(module_name)
    with warnings.catch_warnings():
        # a deprecated alias warns on access; it still counts as kept
        warnings.simplefilter("ignore", DeprecationWarning)
        missing = [name for name in PUBLIC_API[module_name] if not hasattr(module, name)]
    assert not missing, "\n".join(
        f"public name {module_name}.{name} disappeared; keep it as a deprecated alias"
        for name in missing
    )


@pytest.mark.parametrize("module_name", sorted(PUBLIC_API))
def test_all_names_resolve(module_name: str) -> None:
    module = importlib.import_module(module_name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{module_name} has no __all__"
    assert len(set(exported)) == len(exported), f"{module_name}.__all__ lists a name twice"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        unresolved = [name for name in exported if not hasattr(module, name)]
    assert not unresolved, "\n".join(
        f"{module_name}.__all__ lists {name}, which does not resolve" for name in unresolved
    )
