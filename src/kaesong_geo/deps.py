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

__all__ = ["SCALE_MODULES", "require", "require_all"]

#: What ``kaesong-geo extract`` and ``extract-series`` import (the ``scale`` extra).
SCALE_MODULES = ("skimage", "dask", "distributed", "pystac")

#: Import names whose distribution on PyPI has another name.
_DISTRIBUTIONS = {"yaml": "pyyaml", "skimage": "scikit-image", "PIL": "pillow"}


def require(module: str, purpose: str = "this", extra: str | None = None) -> ModuleType:
    """Import ``module`` (dotted names too), or raise :class:`MissingDependencyError`.

    Parameters
    ----------
    module : str
        The module to import, e.g. ``"scipy.stats"``.
    purpose : str, default "this"
        What needs it, as the subject of the message: ``"computing p-values"``.
    extra : str, optional
        The kaesong-geo extra that installs it with its companions (``"scale"``): the
        message then asks for ``pip install "kaesong-geo[scale]"``, so that one command
        installs everything the feature needs.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        top = (exc.name or module).split(".")[0]
        package = _DISTRIBUTIONS.get(top, top)
        hint = f'pip install "kaesong-geo[{extra}]"' if extra else f"pip install {package}"
        raise MissingDependencyError(
            f"{purpose} needs the Python package '{package}', which is not installed ({hint})"
        ) from exc


def require_all(modules: tuple[str, ...], purpose: str, extra: str) -> None:
    """Check that every module imports; name all that do not in one message.

    Raises
    ------
    MissingDependencyError
        One or more are missing: ``pip install "kaesong-geo[EXTRA]"`` installs them all.

    Examples
    --------
    >>> require_all(("json", "csv"), "reading", "scale")
    >>> require_all(("json", "moon_reader", "sun_reader"), "reading the sky", "sky")
    Traceback (most recent call last):
    ...
    kaesong_geo.errors.MissingDependencyError: reading the sky needs the Python packages \
'moon_reader', 'sun_reader', which are not installed (pip install "kaesong-geo[sky]")
    """
    import importlib.util

    missing = []
    for module in modules:
        top = module.split(".")[0]
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            missing.append(_DISTRIBUTIONS.get(top, top))
    if missing:
        names = ", ".join(f"'{m}'" for m in dict.fromkeys(missing))
        plural = "s" if len(missing) > 1 else ""
        verb = "are" if len(missing) > 1 else "is"
        raise MissingDependencyError(
            f"{purpose} needs the Python package{plural} {names}, which {verb} not installed "
            f'(pip install "kaesong-geo[{extra}]")'
        )
