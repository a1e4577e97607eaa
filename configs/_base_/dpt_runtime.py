# Every dpt config inherits this: it loads the dpt plugin into mmdet's registries and runs
# with dpt's Runner (CPU multi-process training, checked checkpoint loading).
custom_imports = dict(imports=['dpt'], allow_failed_imports=False)
runner_type = 'DptRunner'
# share of a load_from / resume checkpoint's tensors that must fit the model
load_from_min_fit = 0.5
