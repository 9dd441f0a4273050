"""paperzoo: ten 2024 research papers as working, tested, fast Python systems.

Systems are the subpackages of this package (except ``core``). ``$PAPERZOO_SYSTEMS_PATH`` (folders
separated by ``os.pathsep``) adds folders whose subpackages are systems too, so a system can be
developed outside the tree, or a test can add a throwaway one, with no edit to paperzoo itself.
"""

import os as _os

__version__ = "0.1.0"

for _folder in filter(None, _os.environ.get("PAPERZOO_SYSTEMS_PATH", "").split(_os.pathsep)):
    if _folder not in __path__:
        __path__.append(_folder)
