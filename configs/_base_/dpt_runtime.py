# Every dpt config inherits this: it loads the dpt plugin into mmdet's registries and runs
# with dpt's Runner (CPU multi-process training, checked checkpoint loading, and checkpoints
# that survive a kill: the runner builds the config's CheckpointHook as DptCheckpointHook and
# its EpochBasedTrainLoop as ResumableEpochBasedTrainLoop, see docs/checkpoints.md). Those
# are not set here: mmengine forbids a key (default_hooks, train_cfg) in two bases, and every
# config also inherits an mmdet one that sets them.
custom_imports = dict(imports=['dpt'], allow_failed_imports=False)
runner_type = 'DptRunner'
# share of a load_from / resume checkpoint's tensors that must fit the model
load_from_min_fit = 0.5
