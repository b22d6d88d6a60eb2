"""OpenTelemetry spans, read back from the SDK's in-memory exporter: a span per bulk job with its
outcome counts, a span per call and one per attempt inside it with the HTTP semantic-convention
attributes, ids that are phone numbers redacted, and no credential in any attribute or event."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, unquote_plus

import anyio
import pytest

pytest.importorskip(
    "opentelemetry.sdk", reason="the span tests need the test extra: pip install -e '.[test]'"
)

from opentelemetry.trace import SpanKind, StatusCode
from otel_support import Spans
from secrets_hostile import (
    CLIENTS,
    MB_KEY,
    MG_SECRET,
    MS_PASSWORD,
    PROVIDERS,
    SECRETS,
    EchoVendor,
    closed_port,
    leaks,
)

import contactgroups
from contactgroups import errors, multi
from contactgroups._http import RetryPolicy
from contactgroups.testing import Faults
from contactgroups.testing.messagebird import MessageBirdFake
from contactgroups.testing.messente import MessenteFake

FAST = RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.001, jitter=0.0)
UNKNOWN = "ffffffffffffffffffffffffffffffff"  # MessageBird's fake refuses unknown contact ids
PHONE = re.compile(r"\+?\d{7,15}")


def attributes(span: Any) -> dict[str, Any]:
    return dict(span.attributes or {})


def call_spans(spans: Spans, provider: str) -> list[Any]:
    return [
        s
        for s in spans.all()
        if s.kind is SpanKind.INTERNAL and attributes(s).get("contactgroups.provider") == provider
    ]


async def test_a_bulk_job_is_one_span_holding_its_calls_and_their_attempts(spans: Spans) -> None:
    async with MessageBirdFake() as mb, MessenteFake() as ms:
        mb_group, ms_group = mb.seed_group("G"), ms.seed_group("G")
        mb_ids = [*mb.seed_contacts(60), UNKNOWN]
        phones = ms.seed_contacts(5)
        async with mb.client(retry=FAST) as mb_client, ms.client(retry=FAST) as ms_client:
            report = await multi.add(
                [
                    multi.Target(mb_client, mb_group, mb_ids),
                    multi.Target(ms_client, ms_group, phones),
                ]
            )
    assert report.counts()[multi.Outcome.FAILED] == 1

    [job] = spans.named("contactgroups.multi add")
    assert job.parent is None
    assert attributes(job) == {
        "contactgroups.multi.action": "add",
        "contactgroups.multi.providers": ("messagebird", "messente"),
        "contactgroups.multi.ids": 66,
        "contactgroups.multi.added": 65,
        "contactgroups.multi.already": 0,
        "contactgroups.multi.failed": 1,
        "contactgroups.multi.not_attempted": 0,
        "contactgroups.multi.deadline_passed": False,
        "contactgroups.multi.cancelled": False,
        "error.type": "incomplete",
    }
    assert job.status.status_code is StatusCode.ERROR

    calls = spans.children(job)
    assert {attributes(c)["contactgroups.provider"] for c in calls} == {"messagebird", "messente"}
    assert {c.name for c in calls} >= {"messagebird PUT", "messente POST"}
    for call in calls:
        assert call.kind is SpanKind.INTERNAL
        [attempt] = spans.children(call)  # no retries: one attempt each
        assert attempt.kind is SpanKind.CLIENT
        assert attempt.name == attributes(call)["http.request.method"]
        assert attributes(attempt)["contactgroups.attempt"] == 1
        assert "http.request.resend_count" not in attributes(attempt)
    # the messente calls carry a phone number in their path: redacted everywhere
    assert not [p for p in phones for text in spans.texts() if p in text or p[1:] in text]
    ms_urls = [attributes(c)["url.full"] for c in calls if c.name.startswith("messente")]
    assert ms_urls and all(re.search(r"/contacts/…\d\d$", url) for url in ms_urls)


async def test_a_failing_call_with_retries(spans: Spans) -> None:
    async with MessageBirdFake() as fake:
        group = fake.seed_group("G")
        fake.faults = Faults(server_error=1.0)
        async with fake.client(retry=FAST) as client:
            with pytest.raises(errors.ServerError):
                await client.groups.get(group)

    [call] = spans.named("messagebird GET")
    call_attributes = attributes(call)
    url = f"{fake.url}/groups/{group}"
    assert call_attributes == {
        "contactgroups.provider": "messagebird",
        "http.request.method": "GET",
        "url.full": url,
        "server.address": "127.0.0.1",
        "server.port": int(fake.url.split(":")[2].split("/")[0]),
        "contactgroups.retries": 2,
        "http.request.resend_count": 2,
        "http.response.status_code": 503,
        "contactgroups.maybe_landed": True,
        "error.type": "contactgroups.errors.ServerError",
    }
    assert call.status.status_code is StatusCode.ERROR
    assert [e.name for e in call.events] == ["retry", "retry", "exception"]
    assert call.events[-1].attributes is not None
    assert call.events[-1].attributes["exception.type"] == "contactgroups.errors.ServerError"

    attempts = sorted(spans.children(call), key=lambda s: s.start_time or 0)
    assert [attributes(a).get("contactgroups.attempt") for a in attempts] == [1, 2, 3]
    assert [attributes(a).get("http.request.resend_count") for a in attempts] == [None, 1, 2]
    for attempt in attempts:
        assert attempt.name == "GET"
        assert attempt.kind is SpanKind.CLIENT
        assert attributes(attempt)["url.full"] == url
        assert attributes(attempt)["http.response.status_code"] == 503
        assert attributes(attempt)["error.type"] == "503"
        assert attempt.status.status_code is StatusCode.ERROR


async def test_a_connection_refused(spans: Spans) -> None:
    client = CLIENTS["messagebird"](base_url=f"http://127.0.0.1:{closed_port()}", retry=None)
    async with client:
        with pytest.raises(errors.TransportError):
            await client.groups.get("abc")
    [call] = spans.named("messagebird GET")
    [attempt] = spans.children(call)
    for span in (call, attempt):
        assert attributes(span)["error.type"] == "contactgroups.errors.TransportError"
        assert attributes(span)["contactgroups.maybe_landed"] is False  # never sent
        assert "http.response.status_code" not in attributes(span)
        assert span.status.status_code is StatusCode.ERROR


async def test_a_cancelled_call_still_ends_its_spans(spans: Spans) -> None:
    async with MessageBirdFake() as fake:
        group = fake.seed_group("G")
        fake.faults = Faults(slow=1.0, slow_seconds=5)
        async with fake.client(retry=None) as client:
            with anyio.move_on_after(0.2):
                await client.groups.get(group)
    [call] = spans.named("messagebird GET")
    [attempt] = spans.children(call)
    for span in (call, attempt):
        assert span.end_time is not None
        assert attributes(span)["error.type"].endswith("CancelledError")


#: every credential (Messente's user name is an account name, not a secret: only the CLI hides it)
SECRET_VALUES = [value for values in SECRETS.values() for value in values]
#: a call per provider whose path holds one of the client's own credentials (MessageFlow's ids
#: are numbers: its call lists the groups)
CALLS: dict[str, Any] = {
    "messagebird": lambda c: c.groups.get(MB_KEY),
    "messente": lambda c: c.groups.get(MS_PASSWORD),
    "messageflow": lambda c: c.groups.list(),
    "messengeo": lambda c: c.lists.get(MG_SECRET),
}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_no_credential_in_any_span(provider: str, spans: Spans) -> None:
    """A vendor that echoes every header and body into its error answers, and a path holding a
    credential: the spans show none of them, for every provider and Messengeo's token call."""
    async with EchoVendor(status=503) as vendor:
        extra = {"token_url": vendor.origin + "/oauth/token"} if provider == "messengeo" else {}
        client = CLIENTS[provider](base_url=vendor.url, retry=FAST, timeout=5, **extra)
        async with client:
            with pytest.raises(errors.ServerError):
                await CALLS[provider](client)
        assert vendor.requests
    [call] = [s for s in call_spans(spans, provider) if s.parent is None]
    attempts = [s for s in spans.children(call) if s.kind is SpanKind.CLIENT]
    assert len(attempts) == 3
    texts = spans.texts()
    # also in the forms a URL encodes them (yarl leaves "/" as is in a query, but not "+")
    assert leaks([*texts, *map(unquote, texts), *map(unquote_plus, texts)], SECRET_VALUES) == []
    if provider != "messageflow":
        assert "<redacted>" in attributes(call)["url.full"]
    if provider == "messengeo":
        [token] = [s for s in spans.children(call) if s.kind is SpanKind.INTERNAL]
        assert attributes(token)["url.full"] == vendor.origin + "/oauth/token"


async def test_spans_carry_the_library_as_their_scope(spans: Spans) -> None:
    async with MessageBirdFake() as fake, fake.client() as client:
        await client.groups.list()
    scopes = {(s.instrumentation_scope.name, s.instrumentation_scope.version) for s in spans.all()}
    assert scopes == {("contactgroups", contactgroups.__version__)}
