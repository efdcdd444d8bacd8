"""Import a dependency where it is needed, with one clear error when it is missing.

Heavy or rarely needed packages (SciPy for p-values, pyarrow for GeoParquet) are imported
inside the function that needs them, through :func:`require`, so that ``import kaesong_geo``
stays cheap and a broken installation costs one line naming the package, not a traceback.

Examples
--------
>>> require("json").dumps([1])
'[1]'
>>> require("moon_reader", "reading the moon")
Traceback (most recent call last):
...
kaesong_geo.errors.MissingDependencyError: reading the moon needs the Python package ...
>>> try:
...     require("moon_reader.phases")
... except Exception as exc:
...     print(exc.message.split(", ")[1])
which is not installed (pip install moon_reader)
"""

from __future__ import annotations

import importlib
from types import ModuleType

from kaesong_geo.errors import MissingDependencyError

__all__ = ["require"]

#: Import names whose distribution on PyPI has another name.
_DISTRIBUTIONS = {"yaml": "pyyaml", "skimage": "scikit-image", "PIL": "pillow"}


def require(module: str, purpose: str = "this") -> ModuleType:
    """Import ``module`` (dotted names too), or raise :class:`MissingDependencyError`.

    Parameters
    ----------
    module : str
        The module to import, e.g. ``"scipy.stats"``.
    purpose : str, default "this"
        What needs it, as the subject of the message: ``"computing p-values"``.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        top = (exc.name or module).split(".")[0]
        package = _DISTRIBUTIONS.get(top, top)
        raise MissingDependencyError(
            f"{purpose} needs the Python package '{package}', which is not installed "
            f"(pip install {package})"
        ) from exc
