"""Named things of one kind (methods, variants, metrics, perturbations, models) and the plugins that add more.

    METHODS = Registry("method", "harness.methods")
    METHOD = METHODS.register(FullFineTuning(name="full", ...))    # beside the definition
    METHODS.get("full"), METHODS.names(), METHODS.all()

Built-ins register when their module is imported. Installed packages add theirs through
the entry-point group, read once, the first time anything is looked up. An entry point
names one item, a list of them, or a module: one that lists its items in the attribute
named by `listing`, or registers its own on import. Extensions that are files rather than
Python (task YAML, leaderboard views) come from packages as folders: `entry_point_folders`.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterator
from importlib import metadata
from types import ModuleType
from pathlib import Path
from typing import Any, Generic, TypeVar

from harness.errors import HarnessError, unknown_name

T = TypeVar("T")


class NameTaken(HarnessError, ValueError):
    """Two different things registered under one name (a ValueError too, as register_metric raised)."""


class Registry(Generic[T]):
    """Items by their `name`, in registration order; read like a read-only mapping.

    `check(item)` raises HarnessError for an item the harness could not use. A name is
    registered once: registering the same item again is harmless, another item under a
    taken name is refused unless `replace=True`. `plugins_replace`: entry points may replace
    a built-in of the same name (methods and variants always allowed it).
    """

    def __init__(self, kind: str, group: str, *, check: Callable[[T], None] | None = None,
                 listing: str | None = None, plugins_replace: bool = False) -> None:
        self.kind = kind
        self.group = group
        self._check = check
        self._listing = listing
        self._plugins_replace = plugins_replace
        self._items: dict[str, T] = {}
        self._entry_points_loaded = False

    def register(self, item: T, *, replace: bool = False) -> T:
        """Add `item` under its name and return it, so a definition can read `X = REGISTRY.register(...)`."""
        if self._check is not None:
            self._check(item)
        name = getattr(item, "name", None)
        if not isinstance(name, str) or not name:
            raise HarnessError(f"cannot register {item!r} as a {self.kind}: it has no name")
        known = self._items.get(name)
        if known is not None and known is not item and not replace:
            raise self._taken(name, item, known)
        self._items[name] = item
        return item

    def register_found(self, found: object, *, replace: bool = False) -> list[str]:
        """Register what a plugin hands over (an item, a list of them, a module); the names registered."""
        if isinstance(found, ModuleType):
            found = getattr(found, self._listing, None) if self._listing else None
            if found is None:
                return []  # the module registered its own items when it was imported
        items = list(found) if isinstance(found, (list, tuple)) else [found]
        return [self.register(item, replace=replace).name for item in items]

    def unregister(self, name: str) -> T:
        """Remove a name (a test's or a plugin's own); returns what it held."""
        return self._items.pop(name)

    def load_entry_points(self) -> list[str]:
        """Register what installed packages expose under the entry-point group (once); the names added."""
        if self._entry_points_loaded:
            return []
        self._entry_points_loaded = True  # first: a plugin that looks names up on import must not recurse
        names: list[str] = []
        for entry_point in metadata.entry_points(group=self.group):
            try:
                found = entry_point.load()
            except Exception as error:  # a broken plugin package: say which one
                raise HarnessError(f"cannot load entry point '{entry_point.name}' ({entry_point.value}) of group "
                                   f"{self.group}: {error}; fix or uninstall the package") from None
            names += self.register_found(found, replace=self._plugins_replace)
        return names

    def get(self, name: str) -> T:
        """The item named `name`; 'unknown <kind> ...; did you mean ...? (valid: ...)' otherwise."""
        self.load_entry_points()
        if name not in self._items:
            raise unknown_name(self.kind, name, self._items)
        return self._items[name]

    def names(self) -> list[str]:
        self.load_entry_points()
        return list(self._items)

    def all(self) -> dict[str, T]:
        """A copy: name -> item, built-ins first in the order they registered."""
        self.load_entry_points()
        return dict(self._items)

    __getitem__ = get

    def __contains__(self, name: object) -> bool:
        self.load_entry_points()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {self.group!r}: {', '.join(self._items)})"

    def _taken(self, name: str, item: Any, known: Any) -> NameTaken:
        of = f" of {self.kind} class {_where(item)}" if inspect.isclass(item) else ""
        holder = _where(known) if inspect.isclass(known) else f"another {self.kind}"
        return NameTaken(f"{self.kind} name '{name}'{of} is taken: {holder} is already registered under it; "
                         "choose another name")


def _where(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def entry_point_folders(group: str) -> list[tuple[str | Path, str]]:
    """(folder, origin) for every entry point of `group`: a path, or a callable returning one. The caller
    checks that the folder holds what it should; a plugin that cannot be loaded is named in one line."""
    found = []
    for entry_point in metadata.entry_points(group=group):
        origin = f"entry point {entry_point.name} ({entry_point.value})"
        try:
            target = entry_point.load()
        except Exception as err:  # a broken third-party package: report it, do not crash
            raise HarnessError(f"{origin} could not be loaded: {type(err).__name__}: {err}") from None
        if callable(target):
            target = target()
        if not isinstance(target, (str, os.PathLike)):
            raise HarnessError(f"{origin} must give a folder path or a callable returning one, "
                               f"got {type(target).__name__}")
        found.append((target, origin))
    return found
