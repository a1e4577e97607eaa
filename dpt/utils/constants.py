"""Numbers shared by several parts of dpt, written once.

ImageNet's per-channel RGB mean and standard deviation, as torchvision's ImageNet models
were trained with them: on the 0-1 scale (``T.ToTensor()`` then ``T.Normalize``: torchvision,
timm, DETReg's and DAP's crops) and on the 0-255 scale of mmdet's ``DetDataPreprocessor``
(``mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375]``, the same numbers times 255).
Configs write the 0-255 numbers themselves: an mmengine config file does not import dpt.
"""

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
IMAGENET_MEAN_255 = (123.675, 116.28, 103.53)
IMAGENET_STD_255 = (58.395, 57.12, 57.375)
