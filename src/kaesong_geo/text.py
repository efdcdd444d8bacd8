"""Small helpers for the words of messages and tables (no dependencies, cheap to import).

Examples
--------
>>> plural(1, "epoch"), plural(2, "epoch"), plural(0, "image")
('1 epoch', '2 epochs', '0 images')
"""

from __future__ import annotations

__all__ = ["plural"]


def plural(n: int, word: str, words: str | None = None) -> str:
    """``n`` followed by ``word``, or by its plural unless ``n`` is 1.

    Parameters
    ----------
    n : int
    word : str
        The singular.
    words : str, optional
        The plural, when it is not ``word + "s"``.

    Examples
    --------
    >>> plural(1, "footprint"), plural(3, "footprint"), plural(2, "analysis", "analyses")
    ('1 footprint', '3 footprints', '2 analyses')
    """
    return f"{n} {word if n == 1 else (words or word + 's')}"
