"""ipr — screen customs declarations against recorded trademarks."""

__version__ = "0.1.0"
