"""Testing your own code against the fake vendors, in a project of your own.

    pip install 'contactgroups[test]'      # pytest and pytest-asyncio
    pytest test_with_fakes.py

The fixtures ``messagebird_fake``, ``messente_fake``, ``messageflow_fake`` and ``messengeo_fake``
come from the pytest plugin that contactgroups installs: each is a fresh stateful fake on
127.0.0.1 and a free port, stopped after the test. They are async fixtures, so the tests run
under pytest-asyncio: the ``pytestmark`` line marks every test in this file, which is all a new
project needs (``asyncio_mode = "auto"`` in your pytest configuration does the same for every
file; with it, the line is harmless).

pytest-asyncio warns (``PytestDeprecationWarning``) while its fixture loop scope is unset. The
configuration we suggest sets it, and makes every warning an error, in ``pyproject.toml``:

    [tool.pytest.ini_options]
    asyncio_default_fixture_loop_scope = "function"
    filterwarnings = ["error"]

The test-suite runs this file in an empty folder, with that configuration and with none at all.
"""

# --8<-- [start:readme]
import pytest

from contactgroups.testing.messagebird import MessageBirdFake

pytestmark = pytest.mark.asyncio  # or asyncio_mode = "auto" in your pytest configuration


async def test_newsletter_signup(messagebird_fake: MessageBirdFake) -> None:
    group = messagebird_fake.seed_group("Newsletter")
    async with messagebird_fake.client() as client:
        await client.groups.add_contacts(group, messagebird_fake.seed_contacts(3))
    assert len(messagebird_fake.member_ids(group)) == 3


# --8<-- [end:readme]
