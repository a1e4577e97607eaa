from .errors import CheckpointError, ConfigError, DataError, DptError, one_line

__all__ = ['DptError', 'DataError', 'CheckpointError', 'ConfigError', 'one_line']
