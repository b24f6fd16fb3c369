"""A registry of check kinds: the spec names a kind, the registry finds it."""

from __future__ import annotations

from collections.abc import Iterable

from grader.judging.checks.base import CheckKind


class Registry:
    def __init__(self) -> None:
        self._kinds: dict[str, CheckKind] = {}

    def register(self, kind: CheckKind) -> None:
        if kind.name in self._kinds:
            raise ValueError(f"check kind {kind.name!r} registered twice")
        self._kinds[kind.name] = kind

    def register_all(self, kinds: Iterable[CheckKind]) -> None:
        for kind in kinds:
            self.register(kind)

    def get(self, name: str) -> CheckKind:
        try:
            return self._kinds[name]
        except KeyError:
            raise KeyError(f"no check kind named {name!r}; known: {', '.join(self.names())}") from None

    def names(self) -> list[str]:
        return sorted(self._kinds)
