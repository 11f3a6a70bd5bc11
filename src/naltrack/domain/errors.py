"""The error hierarchy, as the domain and the services import it.

The classes are defined (and drawn as a tree) in :mod:`naltrack.errors` (stdlib only), so
that the ground floor (``instruments``, ``pk``) raises the very same classes; this module is
where the rest of the code imports them from, and exports exactly ``naltrack.errors.__all__``.
"""

from __future__ import annotations

from naltrack.errors import *  # noqa: F403
from naltrack.errors import __all__ as __all__
