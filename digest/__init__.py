"""digest: a static-site generator for weekly tech digests."""

__version__ = "0.1.0"
