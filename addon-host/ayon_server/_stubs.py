"""Stubs for the long tail of `ayon_server` names that this package does not implement.

Addons import many runtime names at module load (entities, helpers, auth, forms...) that only
matter when an endpoint or an action runs. Importing them must work, so any unknown
`ayon_server.*` module, and any unknown name of a module that opts in through
`stub_attribute`, resolves to a stub class. A stub can be subclassed, subscripted and used in
annotations; calling it raises `NotAvailableInAddonHost`. Every stub handed out is recorded in
`used_stubs` so that a report can say which missing names an addon touched.
"""

import importlib.abc
import importlib.machinery
import sys
import types

used_stubs: list[str] = []


class NotAvailableInAddonHost(RuntimeError):
    """An addon called something that exists in AYON's server but not in Anvil's addon host."""


class _StubType(type):
    def __call__(cls, *args, **kwargs):
        raise NotAvailableInAddonHost(
            f"{cls.__stub_name__} is not available in Anvil's addon host"
        )

    def __getattr__(cls, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return make_stub(f"{cls.__stub_name__}.{name}")

    def __getitem__(cls, key):
        return cls

    def __repr__(cls):
        return f"<stub {cls.__stub_name__}>"


def make_stub(qualified_name: str) -> type:
    """A new stub class standing for `qualified_name` (e.g. `ayon_server.entities.TaskEntity`)."""
    short_name = qualified_name.rsplit(".", 1)[-1]
    return _StubType(short_name, (), {"__stub_name__": qualified_name, "__module__": __name__})


def stub_attribute(module_name: str, name: str) -> type:
    """For a module's `__getattr__`: a stub for an unknown public name, AttributeError otherwise."""
    if name.startswith("_"):
        raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
    qualified_name = f"{module_name}.{name}"
    if qualified_name not in used_stubs:
        used_stubs.append(qualified_name)
    return make_stub(qualified_name)


class _StubModuleLoader(importlib.abc.Loader):
    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = []  # a package, so that deeper unknown modules resolve too
        module.__getattr__ = lambda name: stub_attribute(spec.name, name)
        return module

    def exec_module(self, module):
        """Nothing to run: every name of the module is a stub made on first access."""


class _StubModuleFinder(importlib.abc.MetaPathFinder):
    """Last on `sys.meta_path`: answers only for `ayon_server.*` modules nobody else found."""

    def find_spec(self, fullname, path, target=None):
        if not fullname.startswith("ayon_server."):
            return None
        return importlib.machinery.ModuleSpec(fullname, _StubModuleLoader(), is_package=True)


def install_stub_finder() -> None:
    if not any(isinstance(finder, _StubModuleFinder) for finder in sys.meta_path):
        sys.meta_path.append(_StubModuleFinder())
