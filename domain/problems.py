"""Bad input reported all at once: every problem, each naming its line, nothing written."""

from __future__ import annotations


class InputProblems(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
