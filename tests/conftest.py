from __future__ import annotations

import _aioresponses_compat

_aioresponses_compat.install()
