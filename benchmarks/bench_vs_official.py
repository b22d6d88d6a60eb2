"""Against the vendors' own Python SDKs: the same bulk job, the same fakes, 20 ms per request.

- MessageBird: add 2,000 contacts to a group, then remove them. The official ``messagebird``
  SDK (sync, ``requests``, a new connection per call) is used as its docs show: sequential
  ``group_add_contacts`` calls of 50 ids each (the fake enforces the vendor's 50-id limit; the
  SDK does not chunk), then ``group_remove_contact`` once per id (the vendor has no bulk
  remove). That SDK sends its add to ``PUT /groups/{id}?ids[]=...`` (no ``/contacts``: its bug),
  which the MessageBird fake accepts only with ``accept_sdk_add_path=True``, as here.
- Messente: add 300 phone numbers (existing contacts) to a group, then remove them. The official
  ``messente-api`` SDK (sync, urllib3 pool) is used as its docs show: ``add_contact_to_group``
  then ``remove_contact_from_group`` per phone, sequentially (the API takes one per call).
- Ours: ``multi.add`` then ``multi.remove`` with default settings (MessageBird 8 calls at once,
  Messente 10), a client created inside the timed region, as for theirs.

The figure is wall time theirs/ours per vendor (target >= 10). Each side checks in the fake that
every id landed and was removed.

    python benchmarks/bench_vs_official.py [--latency 0.02] [--mb-ids 2000] [--me-ids 300]
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from _fakes import Fakes, FakeSpec, heading, report, run

from contactgroups import multi

TARGET = 10.0


async def _ours(fakes: Fakes, provider: str) -> tuple[float, float, int]:
    """(add seconds, remove seconds, requests) through ``multi`` at default settings."""
    info = fakes.info[provider]
    started = time.perf_counter()
    async with fakes.client(provider) as client:
        added = await multi.add([multi.Target(client, info.group_id, info.ids)])
        add_seconds = time.perf_counter() - started
        if not added.ok or fakes.member_count(provider) != len(info.ids):
            raise RuntimeError(f"ours: {provider} add did not land: {added.counts()}")
        started = time.perf_counter()
        removed = await multi.remove([multi.Target(client, info.group_id, info.ids)])
    remove_seconds = time.perf_counter() - started
    if not removed.ok or fakes.member_count(provider) != 0:
        raise RuntimeError(f"ours: {provider} remove did not land: {removed.counts()}")
    requests = sum(s.requests for r in (added, removed) for s in r.providers.values())
    return add_seconds, remove_seconds, requests


def _theirs_messagebird(fakes: Fakes) -> tuple[float, float, int]:
    from messagebird.client import USER_AGENT, Client
    from messagebird.http_client import HttpClient

    info = fakes.info["messagebird"]
    key, base = info.client_kwargs["access_key"], info.client_kwargs["base_url"]
    ids, group = info.ids, info.group_id
    started = time.perf_counter()
    client = Client(key, http_client=HttpClient(base, key, USER_AGENT))
    calls = 0
    for start in range(0, len(ids), 50):
        client.group_add_contacts(group, ids[start : start + 50])
        calls += 1
    add_seconds = time.perf_counter() - started
    if fakes.member_count("messagebird") != len(ids):
        raise RuntimeError("theirs: messagebird add did not land")
    started = time.perf_counter()
    for contact_id in ids:
        client.group_remove_contact(group, contact_id)
        calls += 1
    remove_seconds = time.perf_counter() - started
    if fakes.member_count("messagebird") != 0:
        raise RuntimeError("theirs: messagebird remove did not land")
    return add_seconds, remove_seconds, calls


def _theirs_messente(fakes: Fakes) -> tuple[float, float, int]:
    from messente_api import ApiClient, Configuration, ContactsApi

    info = fakes.info["messente"]
    kw = info.client_kwargs
    phones, group = info.ids, info.group_id
    started = time.perf_counter()
    config = Configuration(host=kw["base_url"], username=kw["username"], password=kw["password"])
    calls = 0
    with ApiClient(config) as api:
        contacts = ContactsApi(api)
        for phone in phones:
            contacts.add_contact_to_group(group, phone)
            calls += 1
        add_seconds = time.perf_counter() - started
        if fakes.member_count("messente") != len(phones):
            raise RuntimeError("theirs: messente add did not land")
        started = time.perf_counter()
        for phone in phones:
            contacts.remove_contact_from_group(group, phone)
            calls += 1
    remove_seconds = time.perf_counter() - started
    if fakes.member_count("messente") != 0:
        raise RuntimeError("theirs: messente remove did not land")
    return add_seconds, remove_seconds, calls


def _compare(
    name: str, job: str, ours: tuple[float, float, int], theirs: tuple[float, float, int]
) -> None:
    ours_total, theirs_total = ours[0] + ours[1], theirs[0] + theirs[1]
    ratio = theirs_total / ours_total
    print(
        f"{name}: {job}\n"
        f"  official SDK: add {theirs[0]:.2f}s + remove {theirs[1]:.2f}s = {theirs_total:.2f}s "
        f"({theirs[2]} requests, one at a time)\n"
        f"  contactgroups: add {ours[0]:.2f}s + remove {ours[1]:.2f}s = {ours_total:.2f}s "
        f"({ours[2]} requests, multi at default concurrency)",
        flush=True,
    )
    report(
        f"vs official SDK, {name} ({job}): wall time theirs/ours",
        ratio,
        f"{ratio:.1f}x ({theirs_total:.1f}s vs {ours_total:.2f}s)",
        f">= {TARGET:g}x",
        ratio >= TARGET,
    )


async def _run_ours(fakes: Fakes) -> dict[str, tuple[float, float, int]]:
    return {p: await _ours(fakes, p) for p in ("messagebird", "messente")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.020, help="seconds per request")
    parser.add_argument("--mb-ids", type=int, default=2000)
    parser.add_argument("--me-ids", type=int, default=300)
    args = parser.parse_args()
    heading("Against the vendors' official Python SDKs, same fakes, same latency")
    try:
        import messente_api  # noqa: F401

        import messagebird  # noqa: F401
    except ImportError as exc:
        print(f"the official SDKs are not installed ({exc}); pip install -e '.[bench]'")
        report("vs official SDKs", None, "not run (SDKs not installed)", f">= {TARGET:g}x", None)
        return
    specs = [
        FakeSpec(
            "messagebird",
            latency=args.latency,
            contacts=args.mb_ids,
            options={"accept_sdk_add_path": True},
        ),
        FakeSpec("messente", latency=args.latency, contacts=args.me_ids),
    ]
    print(f"{args.latency * 1000:g} ms latency per request; the fakes in another process")
    with Fakes(specs) as fakes:
        ours = run(_run_ours(fakes))
        theirs: dict[str, Any] = {
            "messagebird": _theirs_messagebird(fakes),
            "messente": _theirs_messente(fakes),
        }
    _compare(
        "MessageBird",
        f"add {args.mb_ids:,} contacts to a group and remove them",
        ours["messagebird"],
        theirs["messagebird"],
    )
    _compare(
        "Messente",
        f"add {args.me_ids:,} phones to a group and remove them",
        ours["messente"],
        theirs["messente"],
    )


if __name__ == "__main__":
    main()
