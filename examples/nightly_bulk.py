"""The nightly bulk job: add each vendor's ids to its group, and account for every single id.

    python examples/nightly_bulk.py plan.json --report report.json --deadline 3600 \
        --journal nightly.db

``plan.json`` names, per vendor, the group and a file of ids (one per line; phone numbers at
Messente), relative to the plan's folder:

    {"messagebird": {"group": "61afc0531573b08ddbe36e1c85602827", "ids_file": "mb.txt"},
     "messente": {"group": "5792a02a-e5c2-422b-a0a0-0ae65d814663", "ids_file": "phones.txt"}}

Credentials come from the variables ``contactgroups.providers`` lists (``MESSAGEBIRD_ACCESS_KEY``,
``MESSENTE_USERNAME``/``MESSENTE_PASSWORD``, ...). ``<VENDOR>_BASE_URL`` (and
``MESSENGEO_TOKEN_URL``) point a vendor at another server: the test-suite runs this script
against the fakes from ``contactgroups.testing``.

Progress goes to stderr. The report is JSON: each pass's ``Report.to_dict()`` (every id with its
outcome, and the error of each failure). With ``--journal`` the first pass is recorded in that
SQLite file: if the script is killed, running it again with the same file resumes the job
instead of sending everything again. The exit status is 0 when every id landed, 1 otherwise.
"""

# --8<-- [start:readme]
import os
import sys
from contextlib import AsyncExitStack

from contactgroups import multi, providers

shown: dict[str, int] = {}  # provider -> the last tenth of its ids reported


def show(progress: multi.Progress) -> None:
    """``on_progress``: one line per provider at every tenth of its ids (to stderr)."""
    tenth = 10 * progress.done // max(progress.total, 1)
    if shown.get(progress.provider) != tenth:
        shown[progress.provider] = tenth
        print(f"{progress.provider}: {progress.done}/{progress.total}", file=sys.stderr)


def client_options(vendor: str) -> dict[str, str]:
    """``<VENDOR>_BASE_URL`` (and ``MESSENGEO_TOKEN_URL``) when set: a proxy, a fake..."""
    keywords = ("base_url", *providers.get(vendor).options)  # Messengeo also takes token_url
    names = {keyword: f"{vendor}_{keyword}".upper() for keyword in keywords}
    return {keyword: os.environ[env] for keyword, env in names.items() if env in os.environ}


async def nightly(
    plan: dict[str, tuple[str, list[str]]], deadline: float, journal: str | None = None
) -> list[multi.Report]:
    """``plan``: vendor -> (group id, ids). The first pass (resumable with a ``journal``), and a
    second one for what failed."""
    async with AsyncExitStack() as stack:  # closes every client, whatever happens
        targets = []
        for vendor, (group_id, ids) in plan.items():
            client = providers.get(vendor).client_from_env(os.environ, **client_options(vendor))
            await stack.enter_async_context(client)
            targets.append(multi.Target(client, group_id, ids))
        report = await multi.add(targets, deadline=deadline, on_progress=show, journal=journal)
        if report.ok:
            return [report]
        # once more, for just the ids that can still land (not attempted, or failed for a
        # reason that may pass: 429, 5xx, a lost connection)
        return [report, await multi.retry_failed(report, deadline=deadline, on_progress=show)]


# --8<-- [end:readme]


def saved_report(passes: list[multi.Report]) -> dict[str, object]:
    """Every pass as ``Report.to_dict()`` gives it; ``ok`` when every id landed in the end."""
    final: dict[tuple[str, str, str], bool] = {}  # a later pass overrides an earlier one
    for report in passes:
        for target, contact_id, outcome, _ in report.outcomes():
            final[(target.provider, target.group_id, contact_id)] = outcome.ok
    return {"ok": all(final.values()), "passes": [report.to_dict() for report in passes]}


def main(argv: list[str] | None = None) -> int:
    import argparse
    import asyncio
    import json
    from pathlib import Path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plan", type=Path, help="JSON: vendor -> {group, ids_file}")
    parser.add_argument("--report", type=Path, required=True, help="where to save the report")
    parser.add_argument("--deadline", type=float, default=3600.0, help="seconds per pass")
    parser.add_argument("--journal", help="a SQLite file: run again with it to resume")
    args = parser.parse_args(argv)
    plan = {}
    for vendor, job in json.loads(args.plan.read_text(encoding="utf-8")).items():
        lines = (args.plan.parent / job["ids_file"]).read_text(encoding="utf-8").splitlines()
        plan[vendor] = (str(job["group"]), [line.strip() for line in lines if line.strip()])
    report = saved_report(asyncio.run(nightly(plan, args.deadline, args.journal)))
    args.report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
