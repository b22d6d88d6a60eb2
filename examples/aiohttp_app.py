"""An aiohttp app that embeds a Messente client and lends it the app's own session.

    MESSENTE_USERNAME=... MESSENTE_PASSWORD=... python examples/aiohttp_app.py --port 8080
    curl -X POST localhost:8080/groups/<group id>/members -d '{"phone": "+37251000000"}'

Environment: ``MESSENTE_USERNAME`` and ``MESSENTE_PASSWORD`` (Messente's API credentials), and
``MESSENTE_BASE_URL`` to talk to another server, such as the fake from ``contactgroups.testing``
(the test-suite runs this app against it).

The session is created in a cleanup context, so it is made inside the running loop and closed
when the app stops, after the client: the client borrows it and never closes it, and no
"Unclosed client session" warning is ever printed. App keys are ``web.AppKey`` objects, so
aiohttp does not warn (``NotAppKeyWarning``) and the handlers' types are known.
"""

# --8<-- [start:readme]
import os
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from contactgroups import errors, messente

HTTP = web.AppKey("http", aiohttp.ClientSession)
MESSENTE = web.AppKey("messente", messente.Client)


async def clients(app: web.Application) -> AsyncIterator[None]:
    """Startup up to the ``yield``, cleanup after it (registered in ``app.cleanup_ctx``)."""
    async with aiohttp.ClientSession() as session:  # the app's one session, closed last
        client = messente.Client(
            username=os.environ["MESSENTE_USERNAME"],
            password=os.environ["MESSENTE_PASSWORD"],
            base_url=os.environ.get("MESSENTE_BASE_URL", messente.DEFAULT_BASE_URL),
            session=session,  # borrowed: the client uses it and never closes it
            timeout=10,
        )
        app[HTTP], app[MESSENTE] = session, client
        yield
        await client.aclose()  # the client first; the session closes when the block ends


async def add_member(request: web.Request) -> web.Response:
    """``POST /groups/{group}/members`` with ``{"phone": "+37251000000"}``."""
    client = request.app[MESSENTE]
    body = await request.json()
    phone, group_id = str(body.get("phone", "")), request.match_info["group"]
    try:
        await client.contacts.ensure_exists(phone)  # Messente adds only existing contacts
        await client.groups.add_contact(group_id, phone)
    except errors.InvalidRequestError as exc:  # not E.164: nothing was sent
        raise web.HTTPBadRequest(text=str(exc)) from exc
    except errors.ConflictError:  # already a member
        return web.json_response({"phone": phone, "added": False})
    except errors.NotFoundError as exc:
        raise web.HTTPNotFound(text=f"no group {group_id}") from exc
    return web.json_response({"phone": phone, "added": True}, status=201)


def make_app() -> web.Application:
    app = web.Application()
    app.cleanup_ctx.append(clients)
    app.router.add_post("/groups/{group}/members", add_member)
    return app


# --8<-- [end:readme]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    web.run_app(make_app(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
