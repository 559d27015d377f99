"""Import WeasyPrint without ctypes' library search: 0.2 s of every rendering process."""

import ctypes.util

# WeasyPrint tries several names per library (libgobject-2.0-0, gobject-2.0, ...); for each
# name dlopen refuses, cffi asks ctypes.util.find_library, which runs ldconfig and gcc in a
# subprocess (~10 ms each, 20 times). The Debian names (libgobject-2.0.so.0) open directly.
_search = ctypes.util.find_library
ctypes.util.find_library = lambda name: None
try:
    import weasyprint
finally:
    ctypes.util.find_library = _search

__all__ = ["weasyprint"]
