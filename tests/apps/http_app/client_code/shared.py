import anvil.server


@anvil.server.portable_class
class Period:
    def __init__(self, year, month):
        self.year, self.month = year, month

    def label(self):
        return f"{self.year}-{self.month:02d}"
