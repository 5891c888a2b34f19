"""Tasks: the :class:`~latentbench.tasks.base.Task` base class, the registry and the built-in task classes."""

from .base import FAMILIES, Score, ScoreSpec, Task, TaskOutput
from .registry import get_suite, get_task, list_suites, list_tasks, register_task, resolve_tasks

__all__ = ["FAMILIES", "Score", "ScoreSpec", "Task", "TaskOutput", "get_suite", "get_task", "list_suites", "list_tasks",
           "register_task", "resolve_tasks"]
