"""guideprint: GitBook space -> print-ready PDFs."""

__version__ = "0.1.0"
# The modules a no-op build imports write `TYPE_CHECKING = False` and import from typing
# under it: type checkers take any `if TYPE_CHECKING:` as true, and the typing module (2.5 ms,
# a tenth of Python's start-up) is not loaded to know that it is False.
# Here, not in builder.config: a no-op build finds the project by it, never loading the
# settings classes (5 ms of its start).
SETTINGS_FILE = "guideprint.toml"
