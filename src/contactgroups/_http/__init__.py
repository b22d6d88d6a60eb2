"""The shared core, private to the package: every cross-cutting rule lives here once."""

from .auth import NO_AUTH, Auth, BasicAuth, HeaderAuth
from .client import BaseClient
from .convert import WIRE, lenient_int, make_converter, parse_date, parse_datetime, to_camel
from .membership import BatchResult, HasMembership, MembershipAdapter
from .pager import Page, Pager
from .redact import REDACTED, redact_headers, redact_phones, scrub
from .retry import DEFAULT_RETRY, RetryPolicy, parse_http_date, parse_retry_after
from .stats import CallStats, collect_stats, current_stats
from .transport import (
    DEFAULT_TIMEOUT,
    USER_AGENT,
    ErrorInfo,
    Response,
    Timeout,
    TimeoutLike,
    Transport,
    path_segment,
)
from .validate import (
    chunked,
    id_list,
    require_count,
    require_credential,
    require_e164,
    require_text,
    unique,
)

__all__ = [
    "DEFAULT_RETRY",
    "DEFAULT_TIMEOUT",
    "NO_AUTH",
    "REDACTED",
    "USER_AGENT",
    "WIRE",
    "Auth",
    "BaseClient",
    "BasicAuth",
    "BatchResult",
    "CallStats",
    "ErrorInfo",
    "HasMembership",
    "HeaderAuth",
    "MembershipAdapter",
    "Page",
    "Pager",
    "Response",
    "RetryPolicy",
    "Timeout",
    "TimeoutLike",
    "Transport",
    "chunked",
    "collect_stats",
    "current_stats",
    "id_list",
    "lenient_int",
    "make_converter",
    "parse_date",
    "parse_datetime",
    "parse_http_date",
    "parse_retry_after",
    "path_segment",
    "redact_headers",
    "redact_phones",
    "require_count",
    "require_credential",
    "require_e164",
    "require_text",
    "scrub",
    "to_camel",
    "unique",
]
