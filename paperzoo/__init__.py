"""paperzoo: ten 2024 research papers as working, tested, fast Python systems."""

__version__ = "0.1.0"
