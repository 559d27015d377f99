"""guideprint: GitBook space -> print-ready PDFs."""

__version__ = "0.1.0"
# Here, not in builder.config: a no-op build finds the project by it, never loading the
# settings classes (5 ms of its start).
SETTINGS_FILE = "guideprint.toml"
