"""Makes `import pydantic` mean pydantic v1 when pydantic 2 is installed.

Addon settings are pydantic v1 models. pydantic 2 ships the whole v1 API as `pydantic.v1`, so
under pydantic 2 the name `pydantic` (and its already loaded submodules) is pointed there before
anything else imports it.
"""

import sys

import pydantic

if not pydantic.VERSION.startswith("1."):
    import pydantic.v1
    import pydantic.v1.schema  # noqa: F401  (loaded so that it is aliased below)

    for module_name, module in list(sys.modules.items()):
        if module_name.startswith("pydantic.v1."):
            sys.modules["pydantic." + module_name[len("pydantic.v1."):]] = module
    sys.modules["pydantic"] = pydantic.v1
