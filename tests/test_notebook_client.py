"""scripts/notebook_client.py: the reply is awaited in short steps, with the same timeout contract."""

import asyncio
from queue import Empty

import pytest

import notebook_client  # scripts/ is on pytest's pythonpath (pyproject.toml)


class FakeChannel:
    """A shell channel whose reply arrives after ``ready_after`` seconds of asking."""

    def __init__(self, ready_after: float):
        self.ready_after, self.waited, self.timeouts = ready_after, 0.0, []

    async def get_msg(self, timeout=None):
        self.timeouts.append(timeout)
        if self.waited + timeout >= self.ready_after:
            return {"reply": True}
        await asyncio.sleep(timeout)  # a wait that finds nothing takes its whole timeout
        self.waited += timeout
        raise Empty


@pytest.fixture(autouse=True)
def short_steps(monkeypatch):
    monkeypatch.setattr(notebook_client, "STEP", 0.01)


def test_each_wait_is_one_step_and_the_reply_comes_back():
    channel = FakeChannel(ready_after=0.035)
    notebook_client._in_short_steps(channel)
    assert asyncio.run(channel.get_msg(timeout=None)) == {"reply": True}
    assert channel.timeouts == [0.01] * 4


def test_the_overall_timeout_still_raises_empty():
    channel = FakeChannel(ready_after=10.0)
    notebook_client._in_short_steps(channel)
    with pytest.raises(Empty):
        asyncio.run(channel.get_msg(timeout=0.05))
    assert all(t <= 0.01 for t in channel.timeouts) and len(channel.timeouts) >= 2
