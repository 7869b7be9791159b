"""Matching: task-queue partitions with long polls, sync match and a durable SQLite backlog."""
from matching.service import MatchingServicer

__all__ = ["MatchingServicer"]
