"""Marks the page ready once a first server call has worked."""

import anvil.js
import anvil.server

anvil.js.document.body.dataset.ready = str(anvil.server.call("echo", "ready"))
