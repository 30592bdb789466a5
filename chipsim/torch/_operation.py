"""Functions of the API that behave like the reference software's compiled functions: stored as
a class attribute (``op = chipsim.torch.matmul``) they stay plain functions, they do not bind to
the instance as methods do."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable


class Operation:
    """A callable wrapping one function of the API.

    Unlike a Python function it has no ``__get__``, so ``self.op(x, w)`` on a class with
    ``op = matmul`` calls ``matmul(x, w)`` (a Python function would receive ``self`` first).
    Name, signature (through ``__wrapped__``) and pickling by name are the function's; the
    docstring starts with the call signature, as those of compiled functions do (``help``
    shows it).
    """

    __name__: str  # set by functools.update_wrapper (declared for type checkers)
    __wrapped__: Callable

    def __init__(self, function) -> None:
        functools.update_wrapper(self, function)
        signature = inspect.signature(function)
        bare = signature.replace(
            parameters=[p.replace(annotation=p.empty) for p in signature.parameters.values()],
            return_annotation=signature.empty,
        )
        self.__doc__ = f"{function.__name__}{bare}\n\n{inspect.cleandoc(function.__doc__ or '')}"

    def __call__(self, *args, **kwargs):
        return self.__wrapped__(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<chipsim.torch operation {self.__name__}>"

    def __reduce__(self):
        # pickled by reference: the module attribute of the same name is this object
        return self.__qualname__


def operation(function) -> Operation:
    """Decorator: make ``function`` an :class:`Operation`."""
    return Operation(function)
