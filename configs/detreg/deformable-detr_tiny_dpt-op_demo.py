# The tiny Deformable DETR demo with its deformable attention on dpt's op (dpt.ops, docs/ops.md):
# dpt's CUDA kernel on GPUs, its leaner PyTorch path on CPU. The attention modules keep mmcv's
# parameters, so checkpoints load either way; msda_impl='mmcv' switches back to mmcv's op.
_base_ = ['../baselines/deformable-detr_tiny_demo.py']
custom_imports = dict(imports=['dpt', 'dpt.ops'], allow_failed_imports=False)

model = dict(type='DeformableDETRWithOp', msda_impl='dpt')
