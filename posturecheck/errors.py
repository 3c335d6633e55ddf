"""Errors a lifter can read: each says what happened and what to do."""

from __future__ import annotations


class PostureCheckError(Exception):
    """Base class: the message is shown to the user as it is, without a traceback."""


class InputError(PostureCheckError):
    """The file the user gave cannot be analysed (missing, not a video, corrupt, empty)."""


class NoPoseError(InputError):
    """The video decodes, but no person was found in any frame."""


class ModelError(PostureCheckError):
    """The pose model is missing, corrupt or cannot be built."""


class OutputExistsError(PostureCheckError):
    """The output folder already holds results and --force was not given."""


class ConfigError(PostureCheckError):
    """A setting or a configuration file is wrong."""
