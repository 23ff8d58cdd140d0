"""Suite-wide test ordering."""

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the browser tests last: Playwright's sync API keeps an event loop running in the main thread for
    the rest of the session, which would break later tests that start their own (Inspect's log reader)."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
