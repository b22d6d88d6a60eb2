"""``Target``: ids to add to (or remove from) one group, and the client whose adapter does it."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from .._http import unique
from ..errors import InvalidRequestError
from ..membership import HasMembership, MembershipAdapter

__all__ = ["Target", "distinct_ids"]


def distinct_ids(ids: Iterable[object]) -> tuple[str, ...]:
    """``ids`` as strings, repeats dropped (first one kept); a lone string is refused."""
    if isinstance(ids, (str, bytes)):
        raise InvalidRequestError("a target's ids must be a list of ids, not a single string")
    return tuple(unique(str(i) for i in ids))


@attrs.frozen
class Target:
    """Ids to add to (or remove from) one group at one provider.

    ``ids`` are what the provider's membership calls take: contact ids, or E.164 phone numbers at
    Messente. Repeats are dropped (first one kept).
    """

    client: HasMembership
    group_id: str
    ids: tuple[str, ...] = attrs.field(converter=distinct_ids)

    @property
    def adapter(self) -> MembershipAdapter:
        return self.client.membership

    @property
    def provider(self) -> str:
        return self.adapter.provider
