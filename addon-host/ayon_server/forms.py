"""`SimpleForm`: a form an action asks the user to fill in (a list of fields, as the web UI reads it)."""

from typing import Any


class SimpleForm(list):
    def _field(self, field_type: str, name: str, **options: Any) -> "SimpleForm":
        field = {"type": field_type, "name": name}
        field.update({key: value for key, value in options.items() if value is not None})
        self.append(field)
        return self

    def label(self, text: str, highlight: str | None = None, **options: Any) -> "SimpleForm":
        return self._field("label", f"label_{len(self)}", value=text, highlight=highlight, **options)

    def text(self, name: str, label: str | None = None, value: str | None = None, placeholder: str | None = None,
             regex: str | None = None, multiline: bool = False, syntax: str | None = None, **options: Any) -> "SimpleForm":
        return self._field("text", name, label=label, value=value, placeholder=placeholder, regex=regex,
                           multiline=multiline or None, syntax=syntax, **options)

    def boolean(self, name: str, label: str | None = None, value: bool = False, **options: Any) -> "SimpleForm":
        return self._field("boolean", name, label=label, value=value, **options)

    def select(self, name: str, options: list[Any], label: str | None = None, value: Any = None, **extra: Any) -> "SimpleForm":
        return self._field("select", name, label=label, options=options, value=value, **extra)

    def multiselect(self, name: str, options: list[Any], label: str | None = None, value: list[Any] | None = None,
                    **extra: Any) -> "SimpleForm":
        return self._field("multiselect", name, label=label, options=options, value=value or [], **extra)

    def hidden(self, name: str, value: Any = None, **options: Any) -> "SimpleForm":
        return self._field("hidden", name, value=value, **options)
