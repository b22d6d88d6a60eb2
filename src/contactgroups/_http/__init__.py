"""The shared core, private to the package: every cross-cutting rule lives here once.

One concern per module: ``urls`` (base URL, path segments, query), ``body`` (request bodies),
``timeouts``, ``response`` (reading answers and error bodies), ``send`` (one attempt, aiohttp
failures mapped), ``retry`` (policy and decision), ``transport`` (a call: attempts, auth refresh,
long-running waits), ``client`` (the base client, its options and ``with_options``), ``pager``,
``convert`` (cattrs), ``validate`` (client-side checks), ``redact``, ``stats``, ``seen``,
``observe`` (log fields, a call's spans), ``settle`` (``check_members``' cost rule),
``tracing`` (OpenTelemetry, never imported by us) and
``adapter`` (what every membership adapter shares).
"""

from .adapter import AdapterLimits, MembershipBase
from .auth import NO_AUTH, Auth, BasicAuth, HeaderAuth
from .client import BaseClient, ClientOptions, CommonKeywords, MembershipOptions
from .convert import (
    STRUCTURE_ERRORS,
    WIRE,
    lenient_int,
    make_converter,
    parse_date,
    parse_datetime,
    to_camel,
)
from .observe import LOG_FIELDS, log_fields
from .pager import Page, Pager
from .redact import (
    REDACTED,
    RedactedHeaders,
    SealedBody,
    Secret,
    Secrets,
    redact_headers,
    redact_phones,
    scrub,
    scrub_value,
)
from .response import (
    ErrorCheck,
    ErrorInfo,
    ErrorParser,
    Response,
    default_error_parser,
    parse_json,
)
from .retry import (
    DEFAULT_RETRY,
    POLL_FLOOR,
    RetryPolicy,
    parse_http_date,
    parse_retry_after,
    retry_delay,
)
from .seen import GroupsSeen
from .settle import cheaper_per_id, check_whole, group_read_pages, look_up_each, read_ids
from .stats import CallStats, collect_stats, current_stats
from .timeouts import DEFAULT_TIMEOUT, Timeout, TimeoutLike, as_timeout
from .tracing import TRACER_NAME, JobSpan
from .transport import NOT_GIVEN, USER_AGENT, NotGiven, Transport
from .urls import (
    Params,
    all_plain,
    check_base_url,
    is_loopback,
    path_segment,
    plain_text,
    query_pairs,
)
from .validate import (
    E164_RE,
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
    "E164_RE",
    "LOG_FIELDS",
    "NOT_GIVEN",
    "NO_AUTH",
    "POLL_FLOOR",
    "REDACTED",
    "STRUCTURE_ERRORS",
    "TRACER_NAME",
    "USER_AGENT",
    "WIRE",
    "AdapterLimits",
    "Auth",
    "BaseClient",
    "BasicAuth",
    "CallStats",
    "ClientOptions",
    "CommonKeywords",
    "ErrorCheck",
    "ErrorInfo",
    "ErrorParser",
    "GroupsSeen",
    "HeaderAuth",
    "JobSpan",
    "MembershipBase",
    "MembershipOptions",
    "NotGiven",
    "Page",
    "Pager",
    "Params",
    "RedactedHeaders",
    "Response",
    "RetryPolicy",
    "SealedBody",
    "Secret",
    "Secrets",
    "Timeout",
    "TimeoutLike",
    "Transport",
    "all_plain",
    "as_timeout",
    "cheaper_per_id",
    "check_base_url",
    "check_whole",
    "chunked",
    "collect_stats",
    "current_stats",
    "default_error_parser",
    "group_read_pages",
    "id_list",
    "is_loopback",
    "lenient_int",
    "log_fields",
    "look_up_each",
    "make_converter",
    "parse_date",
    "parse_datetime",
    "parse_http_date",
    "parse_json",
    "parse_retry_after",
    "path_segment",
    "plain_text",
    "query_pairs",
    "read_ids",
    "redact_headers",
    "redact_phones",
    "require_count",
    "require_credential",
    "require_e164",
    "require_text",
    "retry_delay",
    "scrub",
    "scrub_value",
    "to_camel",
    "unique",
]
