# testsift: exact deselection for `testsift select --runner pytest`, and the order of
# `testsift select priority --runner pytest` (see docs/select.md).
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
    parser.addoption(
        "--testsift-order",
        metavar="FILE",
        help="run the tests in the order of the node ids in FILE, one per line, the tests it "
        "does not list first (testsift select priority --runner pytest)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    wanted = set(config.getoption("testsift_deselect"))
    deselected = [item for item in items if item.nodeid in wanted]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item.nodeid not in wanted]
    order = config.getoption("testsift_order")
    if order:
        with open(order, encoding="utf-8") as f:
            rank = {line.rstrip("\n"): i for i, line in enumerate(f) if line.strip()}
        # Stable: tests the file does not list (new ones) keep their order, before the rest.
        items.sort(key=lambda item: rank.get(item.nodeid, -1))
