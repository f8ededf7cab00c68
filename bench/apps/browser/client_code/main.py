"""Records when the first server call completed (for the navigation benchmark)."""

import anvil.js
import anvil.server

anvil.server.call("noop")
anvil.js.document.body.dataset.firstCall = str(anvil.js.window.performance.now())
