"""Label sets: the one type and the one canonical form, used everywhere in Candor.

A label set is :data:`Labels`: an immutable tuple of ``(name, value)`` pairs sorted by
name, with no empty value (Prometheus treats an empty label as an absent one). It is
hashable, so it keys series in the store, groups in an aggregation and alerts in a rule's
state. Make one with :func:`labels_from`, never by hand::

    key = labels_from({"__name__": "up", "job": "api", "zone": ""})
    # (("__name__", "up"), ("job", "api"))
    dict(key)["job"]                 # a dict again, when a mapping is handier
    label_get(key, "job")            # "api"; "" for an absent label

This module imports nothing of Candor's: the series store, the PromQL engine and the
rule evaluator all build on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = [
    "COUNTER_SUFFIXES",
    "METADATA_LABELS",
    "NAME",
    "Labels",
    "drop_name",
    "format_labels",
    "label_get",
    "labels_dict",
    "labels_from",
    "labels_string",
]

Labels = tuple[tuple[str, str], ...]
"""A label set: ``(name, value)`` pairs sorted by name, no empty values. See the module doc."""

NAME = "__name__"
"""The label holding the metric name."""

#: Labels describing the metric's schema, removed together with the name
#: (Prometheus's ``schema.IsMetadataLabel``).
METADATA_LABELS = frozenset({NAME, "__type__", "__unit__"})

COUNTER_SUFFIXES = ("_total", "_sum", "_count", "_bucket")
"""Metric-name endings that mark a counter, as Prometheus checks them before warning that
``rate`` and friends read a metric that "might not be a counter" (``_sum`` included: a
histogram's or summary's sum is read with ``rate`` like any counter)."""


def labels_from(labels: Mapping[str, str] | Iterable[tuple[str, str]]) -> Labels:
    """The canonical :data:`Labels` of a mapping (or of ``(name, value)`` pairs, the
    last pair of a name winning): sorted by name, empty values dropped."""
    if type(labels) is not dict:
        labels = dict(labels)
    if "" in labels.values():
        return tuple(sorted((k, v) for k, v in labels.items() if v != ""))
    return tuple(sorted(labels.items()))


def labels_dict(labels: Labels) -> dict[str, str]:
    return dict(labels)


def label_get(labels: Labels, name: str) -> str:
    """The value of label ``name``; ``""`` when absent (as Prometheus reads it)."""
    for k, v in labels:
        if k == name:
            return v
    return ""


def drop_name(labels: Labels) -> Labels:
    """Remove the metric name (and the ``__type__``/``__unit__`` metadata labels)."""
    for k, _ in labels:
        if k in METADATA_LABELS:
            return tuple(p for p in labels if p[0] not in METADATA_LABELS)
    return labels


def format_labels(labels: Labels) -> str:
    """``name{a="1", b="2"}`` with the metric name pulled out front, like Prometheus."""
    name = label_get(labels, NAME)
    rest = ", ".join(f'{k}="{_escape(v)}"' for k, v in labels if k != NAME)
    if name and not rest:
        return name
    return f"{name}{{{rest}}}"


def labels_string(labels: Labels) -> str:
    """Prometheus ``labels.Labels.String()``: ``{__name__="x", a="1"}``."""
    return "{" + ", ".join(f'{k}="{_escape(v)}"' for k, v in labels) + "}"


def _escape(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
