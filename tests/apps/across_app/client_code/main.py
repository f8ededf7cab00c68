"""Marks the page ready (the tests drive it with anvilPyodide.app.runPython)."""

import anvil.js

anvil.js.document.body.dataset.ready = "yes"
