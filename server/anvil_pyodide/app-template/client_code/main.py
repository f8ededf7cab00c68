import anvil.js
import anvil.server
from shapes import Rectangle, TooBig

print(anvil.server.call("area", Rectangle(3, 4)))        # 12
big = anvil.server.call("scaled", Rectangle(3, 4), 100)  # a Rectangle again
try:
    anvil.server.call("area", big)
except TooBig as e:
    anvil.js.document.body.textContent = f"Refused: {e}"
