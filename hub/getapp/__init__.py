"""GET-APP (Circular 2017/12): firms follow their own goods through customs."""
