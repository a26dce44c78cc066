"""三方强基指数 (compound index) and early warning (issue 8).

``config`` reads the indicator configuration (``indicators.toml``), ``queries`` holds
all SQL, ``compute`` scores quarters, ``warning`` finds complaint spikes and petition
hot spots.
"""
