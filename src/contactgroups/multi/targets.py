"""``Target``: ids to add to (or remove from) one group, and the client whose adapter does it.

Every id is checked and put in the vendor's canonical form once, here: the job, the report and
the journal only ever see canonical keys (and keep what the caller passed beside them).
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import NamedTuple, cast

import attrs

from ..errors import InvalidRequestError
from ..membership import CanonicalIds, CanonicalIdsAtOnce, HasMembership, MembershipAdapter

__all__ = ["IdDigest", "IdEntry", "Target", "canonical_entries", "id_key"]


class IdEntry(NamedTuple):
    """One id of a target: its canonical ``key``, what the caller passed (``given``, only where it
    differs), and the error that keeps it from being sent (``refused``), if any."""

    key: str
    given: str | None = None
    refused: InvalidRequestError | None = None


def id_key(value: object) -> str:
    """The report's key for a value that is not a usable id at all (``None``, ``3.5``): its type
    and repr, a form no vendor's id takes, so it can never shadow a real id."""
    return f"<{type(value).__name__} {value!r}>"


def _canonicaliser(adapter: MembershipAdapter) -> Callable[[str], str] | None:
    """The adapter's ``canonical_id``, or None: asked once per target, not once per id (a
    runtime protocol check walks the protocol's members, some µs each time)."""
    return adapter.canonical_id if isinstance(adapter, CanonicalIds) else None


def _entry(canonical: Callable[[str], str] | None, provider: str, value: object) -> IdEntry:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        refused = InvalidRequestError(
            f"an id must be a string or an integer, not {type(value).__name__}", provider=provider
        )
        return IdEntry(id_key(value)[:200], None, refused)
    try:
        text = value if type(value) is str else str(value)
        text.encode("utf-8")
    except ValueError:  # an int past Python's digit limit, a lone surrogate: never sendable
        key = f"<int of {value.bit_length()} bits>" if isinstance(value, int) else id_key(value)
        refused = InvalidRequestError("an id must be printable text", provider=provider)
        return IdEntry(key[:200], None, refused)
    if not text.strip():
        refused = InvalidRequestError("an id must not be empty", provider=provider)
        return IdEntry(text, None, refused)
    if canonical is None:
        return IdEntry(text)
    try:
        key = canonical(text)
    except InvalidRequestError as error:
        return IdEntry(text, None, error)
    return IdEntry(key, None if key == text else text)


def canonical_entries(
    adapter: MembershipAdapter, values: Iterable[object], *, repeats: bool = False
) -> Iterator[IdEntry]:
    """``values`` checked and canonicalised; repeats (by canonical key) dropped, first kept,
    unless ``repeats`` (a journal drops them itself, without holding every key in memory)."""
    if isinstance(values, (str, bytes)):
        raise InvalidRequestError("a target's ids must be a list of ids, not a single string")
    canonical, provider = _canonicaliser(adapter), adapter.provider
    if repeats:
        yield from (_entry(canonical, provider, value) for value in values)
        return
    seen: set[str] = set()
    for value in values:
        entry = _entry(canonical, provider, value)
        if entry.key not in seen:
            seen.add(entry.key)
            yield entry


# the ASCII characters ``str.strip`` drops: an id holding none of them is not blank
_ASCII_SPACE = bytes(code for code in range(128) if chr(code).isspace())


def _keys_at_once(adapter: MembershipAdapter, values: Iterable[object]) -> list[str] | None:
    """The keys of ``values`` (the list itself, when it is one) when every one is a non-empty
    ASCII string without whitespace already in canonical form (a bulk list, as usual), checked
    in C where it can be: by the adapter's ``canonical_as_given`` alone (its contract covers
    all of that), else here and by its ``canonical_id`` per id; None otherwise (each id is then
    taken on its own, with the same result)."""
    ids = values if type(values) is list else list(values)
    if list(map(type, ids)).count(str) != len(ids):
        return None
    keys = cast("list[str]", ids)
    canonical = _canonicaliser(adapter)
    if (
        canonical is not None
        and isinstance(adapter, CanonicalIdsAtOnce)
        and adapter.canonical_as_given(keys)
    ):
        return keys  # read, never kept (the target keeps a tuple)
    if "" in keys:
        return None
    joined = "".join(keys)
    if not joined.isascii():
        return None
    data = joined.encode("ascii")
    if not data.isalnum() and len(data.translate(None, _ASCII_SPACE)) != len(data):
        return None
    if canonical is None:
        return keys
    try:
        canonical_keys = list(map(canonical, keys))
    except InvalidRequestError:  # the entry of the refused id says why
        return None
    return canonical_keys if canonical_keys == keys else None


def _keys(
    adapter: MembershipAdapter, values: Iterable[object]
) -> tuple[list[str], list[tuple[int, IdEntry]]]:
    """Every id's key in the order passed (repeats kept), and the entries of the ids that are
    more than their key (not canonical as passed, or refused) by position. An id already in
    canonical form, the usual case, costs its check and nothing more."""
    at_once = _keys_at_once(adapter, values)
    if at_once is not None:
        return at_once, []
    canonical, provider = _canonicaliser(adapter), adapter.provider
    keys: list[str] = []
    odd: list[tuple[int, IdEntry]] = []
    for value in values:
        if type(value) is str and value.isascii() and value.strip():  # else: checked in full
            if canonical is None:
                keys.append(value)
                continue
            try:
                if canonical(value) == value:
                    keys.append(value)
                    continue
            except InvalidRequestError:
                pass  # the entry says why
        entry = _entry(canonical, provider, value)
        odd.append((len(keys), entry))
        keys.append(entry.key)
    return keys, odd


class IdDigest:
    """A digest of a target's ids as passed (canonical keys, repeats included, in order): how a
    journal knows the same job again."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256()

    def add(self, key: str) -> None:
        # length-prefixed: ids ["1\n2"] and ["1", "2"] are different jobs
        data = key.encode("utf-8", "surrogatepass")
        self._hash.update(b"%d:" % len(data) + data)

    def add_all(self, keys: Sequence[str]) -> None:
        """Each of ``keys`` as ``add`` takes it (the same digest), in one update."""
        # ASCII ids (a character is a byte): their length prefixes joined in C
        lengths = set(map(len, keys))
        if len(lengths) == 1:  # the usual ids, all of one length
            prefix = f"{lengths.pop()}:"
            joined = prefix + prefix.join(keys)
        else:
            parts = zip(map(str, map(len, keys)), itertools.repeat(":"), keys)
            joined = "".join(itertools.chain.from_iterable(parts))
        if joined.isascii():
            self._hash.update(joined.encode("ascii"))
            return
        encoded = [key.encode("utf-8", "surrogatepass") for key in keys]
        self._hash.update(b"".join(b"%d:%s" % (len(data), data) for data in encoded))

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


@attrs.frozen(init=False)
class Target:
    """Ids to add to (or remove from) one group at one provider.

    ``ids`` are what the provider's membership calls take: contact ids, or E.164 phone numbers at
    Messente. Each is put in the vendor's canonical form (MessageFlow ``"007"`` is ``"7"``) and
    repeats are dropped (first one kept); ``given`` maps a canonical id back to what was passed.
    An id that can never be sent (``None``, ``""``, a float, one the vendor's form refuses) stays
    in ``ids`` under its key and is reported failed with ``InvalidRequestError``.

    Pass ``ids`` as an iterator (a generator reading a file, say) to stream them: a journaled job
    reads them once, into its journal, and never holds them in memory (``streamed`` is True and
    ``ids`` cannot be read; the report has them). Any collection (a list, a tuple, a set) is held.
    """

    client: HasMembership
    group_id: str
    _ids: tuple[str, ...] = attrs.field(alias="_ids")
    given: Mapping[str, str] = attrs.field(eq=False)
    refused: Mapping[str, InvalidRequestError] = attrs.field(eq=False, repr=False)
    _source: Iterator[object] | None = attrs.field(eq=False, repr=False, alias="_source")
    # the ids' digest; None until asked for, where the ids as passed are ``_ids`` (no repeats)
    _digest: str | None = attrs.field(eq=False, repr=False, alias="_digest")
    # each id's position in ``_ids``, made while looking for repeats, until a ledger takes it
    _position: dict[str, int] | None = attrs.field(
        default=None, eq=False, repr=False, alias="_position"
    )

    def __init__(self, client: HasMembership, group_id: str, ids: Iterable[object]) -> None:
        if isinstance(ids, (str, bytes)):
            raise InvalidRequestError("a target's ids must be a list of ids, not a single string")
        if not isinstance(ids, Collection):
            # an iterator: read once, by the job (into its journal) or on first use of ``ids``
            self.__attrs_init__(client, str(group_id), (), {}, {}, iter(ids), None)
            return
        passed, odd = _keys(client.membership, ids)
        given: dict[str, str] = {}
        refused: dict[str, InvalidRequestError] = {}
        if odd:  # the first time each such key was passed decides what it keeps
            wanted = {entry.key for _, entry in odd}
            first: dict[str, int] = {}
            for position, key in enumerate(passed):
                if key in wanted:
                    first.setdefault(key, position)
            for position, entry in odd:
                if first[entry.key] == position:
                    if entry.given is not None:
                        given[entry.key] = entry.given
                    if entry.refused is not None:
                        refused[entry.key] = entry.refused
        positions: dict[str, int] | None = dict(zip(passed, range(len(passed)), strict=True))
        digest = None
        if positions is not None and len(positions) == len(passed):  # no repeats (as usual)
            keys = tuple(passed)
        else:  # repeats: the first of each kept; the digest takes them all, so it is taken now
            keys, positions = tuple(dict.fromkeys(passed)), None
            whole = IdDigest()
            whole.add_all(passed)
            digest = whole.hexdigest()
        self.__attrs_init__(client, str(group_id), keys, given, refused, None, digest, positions)

    def id_positions(self) -> dict[str, int]:
        """Each id's position in ``ids`` (for a ledger): the table made while looking for
        repeats goes to the first caller, not kept (it is as big as the ids); later ones get a
        new one."""
        positions = self._position
        if positions is None:
            return dict(zip(self.ids, range(len(self.ids)), strict=True))
        object.__setattr__(self, "_position", None)
        return positions

    @property
    def digest(self) -> str | None:
        """The ids' ``IdDigest`` (None for a streamed target: its journal takes it as they
        stream); worked out on first use (only a journal asks)."""
        if self._digest is None and self._source is None:
            digest = IdDigest()
            digest.add_all(self._ids)
            object.__setattr__(self, "_digest", digest.hexdigest())
        return self._digest

    @property
    def ids(self) -> tuple[str, ...]:
        if self._source is not None:
            raise InvalidRequestError(
                "this target streams its ids: the job reads them once; the report lists them"
            )
        return self._ids

    @property
    def streamed(self) -> bool:
        return self._source is not None

    def entries(self, *, repeats: bool = False) -> Iterator[IdEntry]:
        """Every id of the target as the job takes them, once (a streamed target can be read
        only once; ``repeats``: as streamed, repeats kept)."""
        source = self._source
        if source is None:
            for key in self._ids:
                yield IdEntry(key, self.given.get(key), self.refused.get(key))
            return
        object.__setattr__(self, "_source", _spent())
        yield from canonical_entries(self.adapter, source, repeats=repeats)

    def id_digest(self) -> str:
        """The ``IdDigest`` of the ids (a streamed target's are read for it, once)."""
        if self.digest is not None:
            return self.digest
        digest = IdDigest()
        for entry in self.entries(repeats=True):
            digest.add(entry.key)
        return digest.hexdigest()

    def with_ids(self, ids: Iterable[object]) -> Target:
        """The same client and group with other ids."""
        return Target(self.client, self.group_id, ids)

    @property
    def adapter(self) -> MembershipAdapter:
        return self.client.membership

    @property
    def provider(self) -> str:
        return self.adapter.provider


def _spent() -> Iterator[object]:
    raise InvalidRequestError("this target's streamed ids were already read by a job")
    yield  # pragma: no cover - makes this a generator
