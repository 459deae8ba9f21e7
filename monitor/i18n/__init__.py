"""Every sentence Candor writes for people, in English and Brazilian Portuguese: one typed catalogue.

A message is a ``Msg`` holding both languages side by side, so a sentence cannot
exist in one language only, and a translator reads the pair together. Messages
live as class attributes of ``Catalogue`` classes, one module per area::

    monitor/i18n/public.py    status page, notices, mail to subscribers and reporters
    monitor/i18n/lint.py      the notice linter's reasons and hints
    monitor/i18n/reports.py   postmortems, digests, timeline sentences, charts

Use them from Python by calling the message with the language and its values, and
from Jinja through ``labels(Catalogue, lang)`` (attribute access, as ``L.title``)::

    >>> from monitor.i18n.public import Public
    >>> Public.what_happened("pt-BR")
    'O que aconteceu'
    >>> Public.kind("pt-BR", "correction")
    'Correção'
    >>> L = labels(Public, "en")
    >>> L.what_happened, L.kind("retraction")
    ('What happened', 'Retraction')

``Plural`` picks the form by count; ``Choice`` names stored values (states, kinds)
and gives unknown values back unchanged (they are data, not sentences).
``tests/monitor/test_i18n.py`` checks that every message has both languages and
the same placeholders in each, and that no English sentence of the catalogue
survives in a Portuguese rendering. Adding a sentence: add a ``Msg`` to the
catalogue of its area (or a new ``Catalogue`` subclass in a new module imported
listed in ``monitor/i18n/catalogues.py``); nothing else is needed.

Also here: the language choice for public pages (``choose_lang``) and how
times, numbers and durations are written in each language.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

Lang = Literal["en", "pt-BR"]
LANGS: tuple[Lang, ...] = ("pt-BR", "en")

__all__ = ["LANGS", "Catalogue", "Choice", "Labels", "Lang", "Msg", "Plural", "check_lang",
           "choose_lang", "duration", "labels", "number", "when"]


def check_lang(lang: str) -> Lang:
    """``lang`` if Candor speaks it, else ``ValueError`` naming the choices."""
    for known in LANGS:
        if lang == known:
            return known
    raise ValueError(f"language {lang!r} is not one of {', '.join(LANGS)}")


@dataclass(frozen=True)
class Msg:
    """One sentence or label in both languages. ``{name}`` placeholders are filled by the call.

    ``loan=True`` marks a word that is the same in both languages on purpose ("SLO",
    "Postmortem"); any other message must differ between the two.
    """

    en: str
    pt: str
    loan: bool = False

    def text(self, lang: str) -> str:
        return self.pt if check_lang(lang) == "pt-BR" else self.en

    def __call__(self, lang: str, /, **values: Any) -> str:
        text = self.text(lang)
        return text.format(**values) if values else text


@dataclass(frozen=True)
class Plural:
    """A message with a singular and a plural form, chosen by ``n`` (1 is singular in both)."""

    one: Msg
    other: Msg

    def __call__(self, lang: str, n: int, /, **values: Any) -> str:
        return (self.one if n == 1 else self.other)(lang, n=n, **values)


@dataclass(frozen=True)
class Choice:
    """Words for stored values (states, kinds, types). An unknown value is data: it comes back
    as it is (with ``_`` as spaces), never invented."""

    words: Mapping[str, Msg] = field(default_factory=dict)

    def __call__(self, lang: str, value: str, /) -> str:
        message = self.words.get(str(value))
        return message(lang) if message is not None else str(value).replace("_", " ")

    def __contains__(self, value: object) -> bool:
        return value in self.words


class Catalogue:
    """A namespace of messages. Subclass it; every ``Msg``/``Plural``/``Choice`` attribute counts."""

    @classmethod
    def entries(cls) -> Iterator[tuple[str, Msg | Plural | Choice]]:
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, Msg | Plural | Choice):
                    yield name, value

    @classmethod
    def messages(cls) -> Iterator[tuple[str, Msg]]:
        """Every ``Msg`` inside, with a dotted name (``kind.correction``, ``errors.one``)."""
        for name, value in cls.entries():
            if isinstance(value, Msg):
                yield name, value
            elif isinstance(value, Plural):
                yield f"{name}.one", value.one
                yield f"{name}.other", value.other
            else:
                for key, message in value.words.items():
                    yield f"{name}.{key}", message


class Text(str):
    """A label for templates: a plain string that can also be called to fill placeholders."""

    __slots__ = ()

    def __call__(self, **values: Any) -> str:
        return self.format(**values)


class Labels:
    """A catalogue in one language, for templates: ``L.name`` is the text (a ``Text``),
    ``L.choice(value)`` names a value, ``L.plural(n)`` picks a form; ``L["name"]`` as well.
    A name the catalogue does not have is an error, not an empty string."""

    def __init__(self, catalogue: type[Catalogue], lang: str) -> None:
        self._entries = dict(catalogue.entries())
        self._lang = check_lang(lang)
        self._name = catalogue.__name__

    @property
    def lang(self) -> Lang:
        return self._lang

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            entry = self._entries[name]
        except KeyError:
            raise AttributeError(f"catalogue {self._name} has no message {name!r}") from None
        if isinstance(entry, Msg):
            return Text(entry.text(self._lang))
        lang = self._lang
        if isinstance(entry, Plural):
            plural = entry
            return lambda n, **values: plural(lang, n, **values)
        choice = entry
        return lambda value: choice(lang, value)

    def __getitem__(self, name: str) -> Any:
        try:
            return getattr(self, name)
        except AttributeError as exc:
            raise KeyError(str(exc)) from None


def labels(catalogue: type[Catalogue], lang: str) -> Labels:
    return Labels(catalogue, lang)


# ---- times, numbers, durations ------------------------------------------------------------


def when(value: datetime | str | None, lang: str, *, seconds: bool = False) -> str:
    """A human timestamp: ``25/11/2026 14:05 UTC`` (pt-BR) or ``2026-11-25 14:05 UTC`` (en)."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    clock = "%H:%M:%S" if seconds else "%H:%M"
    pattern = f"%d/%m/%Y {clock} UTC" if check_lang(lang) == "pt-BR" else f"%Y-%m-%d {clock} UTC"
    return moment.strftime(pattern)


def number(value: float | int, lang: str, *, digits: int | None = None) -> str:
    """``48,210`` / ``38.5`` in English, ``48.210`` / ``38,5`` in Portuguese."""
    if digits is None:
        digits = 0 if float(value).is_integer() else 1
    text = f"{value:,.{digits}f}"
    if check_lang(lang) == "pt-BR":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def duration(delta: timedelta | float | None, lang: str = "en", *, empty: str = "—") -> str:
    """``1h 05m`` / ``1 h 05 min``; ``empty`` when there is no value."""
    if delta is None:
        return empty
    seconds = int(delta.total_seconds() if isinstance(delta, timedelta) else delta)
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    d, h, m = ("d", "h", "m") if check_lang(lang) == "en" else (" d", " h", " min")
    if days:
        return f"{sign}{days}{d} {hours}{h}"
    if hours:
        return f"{sign}{hours}{h} {minutes:02d}{m}"
    if minutes:
        return f"{sign}{minutes}{m} {secs:02d}s"
    return f"{sign}{secs}s"


# ---- choosing the language of a public page ------------------------------------------------


def choose_lang(query: str | None, accept_language: str | None, default: str) -> Lang:
    """``?lang=`` wins, then the best Accept-Language match, then ``default``.

    >>> choose_lang(None, "en-US,en;q=0.9,pt;q=0.8", "pt-BR")
    'en'
    >>> choose_lang(None, "pt,en;q=0.5", "en")
    'pt-BR'
    """
    for candidate in ([query] if query else []) + _ranked(accept_language or ""):
        for lang in LANGS:
            if candidate.lower() == lang.lower() or candidate.split("-")[0].lower() == lang[:2]:
                return lang
    return check_lang(default)


def _ranked(header: str) -> list[str]:
    items: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            items.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(items)]

