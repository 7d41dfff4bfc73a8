"""Yardstick: a self-hosted API for regional economic indicators. Importing the package starts nothing."""

__version__ = "0.1.0"
