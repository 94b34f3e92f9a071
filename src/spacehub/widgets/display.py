"""Showing figures and messages in notebooks the same way in every front end, and headless.

matplotlib ``Figure`` objects built without pyplot (as :func:`plot_timeseries` builds them) have no
rich display of their own: :func:`rendered` turns them into PNG images; interactive plots (hvplot,
bokeh) pass through unchanged. An ``Output`` widget's content is replaced through its state
(:func:`show_in`), which works from any thread and with no front end attached.
"""

from __future__ import annotations

from IPython.display import HTML, Image, display

from .feedback import message_html
from .pane import png_bytes


def rendered(figure, dpi: int = 80):
    """A matplotlib ``Figure`` as a PNG image; anything else as it is."""
    from matplotlib.figure import Figure

    return Image(png_bytes(figure, dpi=dpi)) if isinstance(figure, Figure) else figure


def show_in(output, items) -> None:
    """Replace what the ``Output`` widget ``output`` shows by ``items``."""
    output.outputs = ()
    for item in items:
        output.append_display_data(rendered(item))


def show(figure, output=None) -> None:
    """Display ``figure`` in the cell, or instead of what ``output`` shows."""
    if output is None:
        display(rendered(figure))
    else:
        show_in(output, [figure])


def message(text, kind: str = "error") -> HTML:
    """A one-line message (``kind``: error, warning, info) for an ``Output`` or the cell."""
    return HTML(message_html(str(text), kind))
