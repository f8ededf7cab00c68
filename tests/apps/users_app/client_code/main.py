"""Marks the page ready; tests drive anvil.users through the page's Python."""

import anvil.js
import anvil.server

anvil.js.document.body.dataset.ready = "yes"
