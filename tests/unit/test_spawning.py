"""The queue of starting servers: a few at a time, in order of arrival, each told its place."""

import asyncio

import pytest

from spacehub.hub.spawning import QueuedLocalProcessSpawner, StartQueue


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 10))


def test_at_most_slots_start_at_once_in_order_of_arrival():
    async def main():
        queue, order, busy, peak = StartQueue(2), [], set(), [0]
        gates = {name: asyncio.Event() for name in "abcde"}

        async def start(name):
            async with queue.slot(name):
                order.append(name)
                busy.add(name)
                peak[0] = max(peak[0], len(busy))
                await gates[name].wait()
                busy.discard(name)

        tasks = []
        for name in "abcde":
            tasks.append(asyncio.ensure_future(start(name)))
            await asyncio.sleep(0)  # arrive one after another
        while len(order) < 2:
            await asyncio.sleep(0)
        assert [queue.position(n) for n in "cde"] == [0, 1, 2]
        for name in "bacde":  # b finishes first: c, the next to arrive, takes its slot
            gates[name].set()
            await asyncio.sleep(0.01)
        await asyncio.gather(*tasks)
        return order, peak[0]

    order, peak = run(main())
    assert order == list("abcde") and peak == 2


def test_a_cancelled_wait_gives_its_place_to_those_behind():
    async def main():
        queue, hold = StartQueue(1), asyncio.Event()

        async def start(name, wait):
            async with queue.slot(name):
                await wait.wait()

        first = asyncio.ensure_future(start("a", hold))
        await asyncio.sleep(0)
        second = asyncio.ensure_future(start("b", hold))
        third = asyncio.ensure_future(start("c", hold))
        await asyncio.sleep(0.01)
        assert (queue.position("b"), queue.position("c")) == (0, 1)
        second.cancel()  # b gave up (a spawn cancelled, timed out)
        await asyncio.sleep(0.01)
        assert queue.position("b") is None and queue.position("c") == 0
        hold.set()
        await asyncio.gather(first, third)
        with pytest.raises(asyncio.CancelledError):
            await second
        return queue.waiting, queue.starting

    assert run(main()) == ([], set())


def test_the_person_waiting_is_told_their_place_until_their_turn():
    class Spawner:  # what progress() uses of a spawner
        concurrent_starts = 1
        progress = QueuedLocalProcessSpawner.progress
        _queue = StartQueue(1)

    async def main():
        me, hold, messages = Spawner(), asyncio.Event(), []
        queue = me._queue

        async def start(who):
            async with queue.slot(who):
                await hold.wait()

        tasks = [asyncio.ensure_future(start(who)) for who in ("a", "b", me)]
        await asyncio.sleep(0.01)

        async def follow():
            async for event in me.progress():
                messages.append(event["message"])

        following = asyncio.ensure_future(follow())
        await asyncio.sleep(0.01)
        hold.set()
        await asyncio.gather(following, *tasks)
        return messages

    assert run(main()) == [
        "Waiting to start your server: 1 person ahead of you (servers start 1 at a time)",
        "Waiting to start your server: nobody ahead of you (servers start 1 at a time)",
        "Starting your server (JupyterLab)",
    ]
