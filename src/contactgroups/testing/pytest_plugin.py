"""pytest fixtures for the fake vendors (registered through the ``pytest11`` entry point)."""
