"""Project files: one SQLite database per project (gestures, takes, negatives, settings). Qt-free."""

from studio.project.files import SUFFIX
from studio.project.records import Gesture, Negative, ProjectError, Take
from studio.project.recent import RecentProjects
from studio.project.schema import SCHEMA_VERSION
from studio.project.store import Project

__all__ = ["Project", "ProjectError", "Gesture", "Take", "Negative", "RecentProjects", "SCHEMA_VERSION", "SUFFIX"]
