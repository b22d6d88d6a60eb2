"""Constants shared by the Messente tests (a module name no other test directory uses)."""

from __future__ import annotations

import base64

from contactgroups import RetryPolicy

BASE = "https://api.messente.com/v1"
USERNAME = "api-user-7f3e"
PASSWORD = "s3cret-pa55word-91c2"
BASIC = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
FAST_RETRY = RetryPolicy(max_attempts=6, backoff_base=0.001, backoff_max=0.01)
