"""Suite-wide test settings: Hypothesis profiles and test ordering."""

import os
import tempfile

import pytest
from hypothesis import settings

# Property tests check what is computed, never how fast: no per-example deadline (a loaded 2-core machine can take
# longer than Hypothesis's default 200 ms for one example, which would fail a correct test). On CI the examples are
# derived from each test, so a run is reproducible; locally they are random, to keep finding new cases.
settings.register_profile("evalboard", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "evalboard")

# A remote dataset's derived data lives in the replica's cache, keyed by the dataset's URI (docs/ARCHITECTURE.md,
# "Delta tables"): the suite's own, so its buckets (named alike in every run) never meet an earlier run's copies, and
# nothing is left in the user's ~/.cache. Servers and CLIs the tests start inherit it.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="evalboard-test-cache-")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the browser tests last: Playwright's sync API keeps an event loop running in the main thread for
    the rest of the session, which would break later tests that start their own (Inspect's log reader)."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


from tests.s3server import s3_bucket, s3_server  # noqa: E402,F401  (fixtures: a real S3 API on 127.0.0.1)
