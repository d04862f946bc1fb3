# testsift: exact deselection for `testsift select --runner pytest` (see docs/select.md).
# pytest's own --deselect matches node id prefixes (test_x also drops test_x2); this option
# deselects only the tests whose node id is exactly one of those given.
import pytest


def pytest_addoption(parser):
    parser.addoption(
        "--testsift-deselect",
        action="append",
        default=[],
        metavar="NODEID",
        help="deselect the test with exactly this node id (testsift select --runner pytest)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    wanted = set(config.getoption("testsift_deselect"))
    if not wanted:
        return
    deselected = [item for item in items if item.nodeid in wanted]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item.nodeid not in wanted]
