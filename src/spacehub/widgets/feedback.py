"""One line of feedback under a widget: an error, a warning or a note, never a traceback."""

from __future__ import annotations

import html
from contextlib import contextmanager

import ipywidgets as widgets
from traitlets import TraitError

_COLOURS = {"error": "#b00020", "warning": "#8a5a00", "info": "#555555"}


def message_html(text: str, kind: str = "error") -> str:
    """``text`` as escaped HTML in the colour of its ``kind`` (error, warning or info).

    >>> message_html("stop must be after start")
    '<span class="spacehub-error" style="color:#b00020">stop must be after start</span>'
    """
    if not text:
        return ""
    return f'<span class="spacehub-{kind}" style="color:{_COLOURS[kind]}">{html.escape(text)}</span>'


class MessageLine(widgets.HTML):
    """An ``HTML`` widget that shows one message; ``.text`` and ``.kind`` keep what it says for tests.

    >>> line = MessageLine()
    >>> line.show("quota exceeded")
    >>> line.text, line.kind
    ('quota exceeded', 'error')
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.text, self.kind = "", "info"

    def show(self, text: str, kind: str = "error") -> None:
        self.text, self.kind = text, kind
        self.value = message_html(text, kind)


class ModelLink:
    """Forwards widget input to a model and model state to widgets, without echoing one into the other.

    Input the model rejects (``TraitError``/``ValueError``) is shown in ``message``; accepted input
    shows the model's own message again through ``show_model_message``.
    """

    def __init__(self, message: MessageLine, show_model_message):
        self.message = message
        self._show_model_message = show_model_message
        self._quiet = False

    @contextmanager
    def quiet(self):
        """Model -> widget updates inside this block are not forwarded back to the model."""
        was, self._quiet = self._quiet, True
        try:
            yield
        finally:
            self._quiet = was

    def forward(self, widget: widgets.Widget, apply) -> None:
        """Call ``apply(value)`` whenever the user changes ``widget.value``."""

        def on_change(change):
            if self._quiet:
                return
            try:
                apply(change["new"])
            except (TraitError, ValueError) as e:
                self.message.show(str(e))
            else:
                self._show_model_message()

        widget.observe(on_change, "value")
