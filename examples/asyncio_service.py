"""An asyncio service that awaits single calls: a time budget per call, and clean cancellation.

    MESSAGEBIRD_ACCESS_KEY=... python examples/asyncio_service.py <group id> 31612345678 ...

Subscribes each phone number to the group (creates the contact, then adds it), all at once, each
call within ``--timeout`` seconds, and prints one JSON line per number. SIGINT or SIGTERM cancels
the calls in flight: they end at once (cancellation is never wrapped or swallowed by the SDK),
each is reported ``cancelled``, the client is closed, and the exit status is 130.

Environment: ``MESSAGEBIRD_ACCESS_KEY``, and ``MESSAGEBIRD_BASE_URL`` to talk to another server,
such as the fake from ``contactgroups.testing`` (the test-suite runs this script against it).
"""

# --8<-- [start:readme]
import asyncio

from contactgroups import errors, messagebird


class GroupGone(Exception):
    """The group was deleted under us."""


class Signups:
    """Subscribes phone numbers to one MessageBird group, each call within its own budget."""

    def __init__(self, client: messagebird.Client, group_id: str, *, timeout: float) -> None:
        self.group_id = group_id
        # a view with a tighter time budget for the request path; it shares the client's
        # session and key, and closing it closes nothing
        self.fast = client.with_options(timeout=timeout)

    async def subscribe(self, msisdn: str) -> str:
        contact = await self.fast.contacts.create(msisdn)  # not retried: creates are not idempotent
        try:
            await self.fast.groups.add_contacts(self.group_id, [contact.id])  # 1..50; retried
        except errors.NotFoundError as exc:  # .status .code .message .request_id
            raise GroupGone(self.group_id) from exc
        return contact.id


async def handle(signups: Signups, msisdn: str) -> dict[str, object]:
    """One request: its result, whatever happened (a cancellation propagates, as it must)."""
    try:
        contact_id = await signups.subscribe(msisdn)
    except errors.TimeoutError as exc:  # over budget; .maybe_landed: read before a new create
        return {"msisdn": msisdn, "result": "timeout", "maybe_landed": exc.maybe_landed}
    except (errors.ContactGroupsError, GroupGone) as exc:
        return {"msisdn": msisdn, "result": "error", "error": type(exc).__name__}
    return {"msisdn": msisdn, "result": "subscribed", "contact_id": contact_id}


# --8<-- [end:readme]


async def main(group_id: str, msisdns: list[str], timeout: float) -> int:
    import json
    import os
    import signal

    loop = asyncio.get_running_loop()
    this = asyncio.current_task()
    assert this is not None
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, this.cancel)
    base_url = os.environ.get("MESSAGEBIRD_BASE_URL", messagebird.DEFAULT_BASE_URL)
    access_key = os.environ["MESSAGEBIRD_ACCESS_KEY"]
    async with messagebird.Client(access_key=access_key, base_url=base_url) as client:
        signups = Signups(client, group_id, timeout=timeout)
        calls = [asyncio.ensure_future(handle(signups, msisdn)) for msisdn in msisdns]
        try:
            await asyncio.gather(*calls)  # a cancellation of main() cancels every call
        except asyncio.CancelledError:
            # the signal asked for it: report, close the client (the `async with`), exit 130
            await asyncio.gather(*calls, return_exceptions=True)
        for msisdn, call in zip(msisdns, calls, strict=True):
            result = (
                {"msisdn": msisdn, "result": "cancelled"} if call.cancelled() else call.result()
            )
            print(json.dumps(result), flush=True)
    return 130 if any(call.cancelled() for call in calls) else 0


if __name__ == "__main__":
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("group_id")
    parser.add_argument("msisdns", nargs="+")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds per call")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.group_id, args.msisdns, args.timeout)))
