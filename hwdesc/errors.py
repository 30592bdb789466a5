"""The one error type of chip descriptions: what was wrong, where, and how to fix it."""

from __future__ import annotations


class ChipDescriptionError(ValueError):
    """A chip description was rejected.

    The message names the file, the line, the YAML path (``analog.synaptic_input.c_syn``), what
    was wrong and what is allowed. The parts are kept as attributes for programs:

    Attributes:
        file: path of the YAML file (or ``None`` for an in-memory mapping).
        line: 1-based line number in the file, or ``None`` when unknown.
        yaml_path: dotted path of the offending key, or ``""`` for the whole document.
        problem: what was wrong, one sentence.
        hint: what is allowed or how to fix it (may be empty).
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        line: int | None = None,
        yaml_path: str = "",
        hint: str = "",
    ) -> None:
        self.file = file
        self.line = line
        self.yaml_path = yaml_path
        self.problem = problem
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        where = self.file if self.file is not None else "<chip description>"
        if self.line is not None:
            where += f", line {self.line}"
        if self.yaml_path:
            where += f", at `{self.yaml_path}`"
        text = f"{where}: {self.problem}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        # Text from the file may hold lone surrogates; keep the message printable.
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
