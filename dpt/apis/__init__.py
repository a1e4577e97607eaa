from .launch import (
    build_runner,
    cli_errors,
    format_metrics,
    load_config,
    prepare_test_config,
    prepare_train_config,
    set_eval_metrics,
)

__all__ = [
    'build_runner',
    'cli_errors',
    'format_metrics',
    'load_config',
    'prepare_test_config',
    'prepare_train_config',
    'set_eval_metrics',
]
