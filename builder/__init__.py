"""guideprint: GitBook space -> print-ready PDFs."""

__version__ = "0.1.0"
