"""A portable type whose decoding waits for another call: proves decoding runs off the event loop."""

import anvil.server

from rendezvous import WAIT_LIMIT, event


@anvil.server.portable_class("basic.Gate")
class Gate:
    """Arrives as ``{"key": k}``; decoding sets ``k + ":decoding"``, then waits until ``release(k)`` (``opened`` says whether it came)."""

    def __deserialize__(self, data, info):
        self.key = data["key"]
        event(self.key + ":decoding").set()
        self.opened = event(self.key).wait(WAIT_LIMIT)


@anvil.server.callable
def gate_opened(gate, *padding):
    """Whether ``gate``'s decoding was released by another call while it waited."""
    return gate.opened


@anvil.server.callable
async def gated_large(gate, length, *padding):
    """An ``async def`` function whose call waits in decoding until ``release(gate.key)``: marks
    ``has_started(gate.key)`` and returns ``length`` characters."""
    event("started:" + gate.key).set()
    return "x" * length
