"""archiver: evidence-grade web archiving and link-rot checking."""

__version__ = "0.1.0"
