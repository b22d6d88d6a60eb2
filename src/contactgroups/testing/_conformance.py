"""A static check, for mypy only: each of the four fakes has the interface they all share.

The library never imports it (that would import every provider); ``tests/testing`` checks the
same at run time.
"""

from __future__ import annotations

from ._interface import VendorFake
from .messagebird import MessageBirdFake
from .messageflow import MessageFlowFake
from .messengeo import MessengeoFake
from .messente import MessenteFake

__all__: list[str] = []

FAKES: tuple[type[VendorFake], ...] = (
    MessageBirdFake,
    MessenteFake,
    MessageFlowFake,
    MessengeoFake,
)
