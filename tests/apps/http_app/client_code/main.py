"""The app's ordinary main module (the page at /)."""

import anvil.js

anvil.js.document.body.dataset.entry = "main"
anvil.js.document.body.dataset.ready = "1"
