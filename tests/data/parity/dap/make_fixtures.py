"""Make the DAP parity fixtures by running the ORIGINAL functions of DAP's
``code/compute_box_imagenet1k.py`` (mikuhatsune/dap @ d661c43) on small inputs.

Run it outside the project (see PROVENANCE.md): it needs torch, torchvision, numpy, scipy,
Pillow and a ``maskrcnn_benchmark`` package whose ``structures`` are maskrcnn-benchmark's own
files and whose ``layers.nms`` is its ``csrc/cpu/nms_cpu.cpp``; the ImageNet reader is not
needed (a stand-in dataset object is handed to the original functions).

    python make_fixtures.py /path/to/dap-checkout OUT_DIR

Only the script's function definitions and imports are executed (its module-level job, which
downloads a ResNet-101 and walks ImageNet, is skipped); the functions run unmodified.
"""
import ast
import json
import os
import sys

import numpy as np
import torch
from PIL import Image
from torch import nn

NMS = (0.9, 0.8, 0.7, 0.6, 0.5)


def load_original(checkout):
    path = os.path.join(checkout, 'code', 'compute_box_imagenet1k.py')
    tree = ast.parse(open(path).read(), path)
    keep = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef)):
            keep.append(node)
        elif isinstance(node, ast.Assign) and any(
                getattr(t, 'id', None) in ('num_gpu', 'num_workers', 'local_model')
                for t in node.targets):
            keep.append(node)
        if getattr(node, 'name', None) == 'compute_cam_box':
            break  # what follows is the ImageNet job itself
    ns = {'__name__': 'dap_original'}
    exec(compile(ast.Module(keep, []), path, 'exec'), ns)
    return ns


class Box:
    def __init__(self, label):
        self.extra_fields = {'label': label}


class Data:
    """What the original reads from its ImageNetClsDataset: (PIL image, box with the
    label, index) and get_img_info."""

    def __init__(self, img, label, size=None):
        self.img, self.label = img, label
        self.size = size or img.size

    def __getitem__(self, i):
        return self.img, Box(self.label), i

    def get_img_info(self, i):
        return {'width': self.size[0], 'height': self.size[1]}


class StoredMaps(nn.Module):
    """conv1 of a stand-in network: the feature map stored for the input's width."""

    def __init__(self, maps):
        super().__init__()
        self.maps = maps

    def forward(self, x):
        m = self.maps[x.shape[-1]]
        return torch.as_tensor(m, dtype=torch.float32)[None, None].repeat(len(x), 1, 1, 1)


def stand_in_net(conv1, fc):
    net = nn.Module()
    net.conv1 = conv1
    for name in ('bn1', 'relu', 'maxpool', 'layer1', 'layer2', 'layer3', 'layer4'):
        setattr(net, name, nn.Identity())
    net.fc = fc
    return net.eval()


def run(orig, net, data, scale, flip):
    orig['local_model'][:] = [net, 'cpu', data]
    p = orig['compute_cam_box'](0, flip=flip, ths=[0.2, 0.3, 0.4, 0.5], scale=scale)
    out = {'boxes': p.bbox.numpy(), 'scores': p.extra_fields['scores'].numpy()}
    for t in NMS:
        out[f'nms{t:g}'] = orig['boxlist_nms'](p, t).bbox.numpy()
    return out


def structured_cases(rng):
    """(name, small map, large map, image size (w, h), scale): hand-made CAMs whose sizes
    are those a stride-32 network gives at short sides 144 and 288 (width / height 1.4)."""
    yy, xx = np.mgrid[0:9, 0:13]
    blob = lambda cx, cy, s: np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * s ** 2))
    cases = []
    cases.append(('two_blobs', blob(3, 4, 2)[::2, ::2], blob(3, 4, 2) + 0.8 * blob(10, 5, 1.5),
                  (420, 300), 144))
    line = np.zeros((9, 13))
    line[1:8, 6] = 1.0  # a one-cell-wide component
    line[4, 9] = 0.3
    cases.append(('one_cell_wide', line[::2, ::2], line, (406, 290), 144))
    many = np.zeros((9, 13))
    for i, (y, x) in enumerate([(1, 1), (1, 5), (1, 9), (5, 1), (5, 5), (5, 9), (7, 11)]):
        many[y:y + 2, x:x + 2] = 0.6 + 0.05 * i  # 7 equal 2x2 squares: ties, > 4 boxes
    many[3, 3] = 1.0
    cases.append(('ties_and_more_than_four', many[::2, ::2], many, (392, 280), 144))
    ring = np.zeros((9, 13))
    ring[1:8, 1:10] = 0.9
    ring[3:6, 3:8] = 0.0
    ring[4, 5] = 0.95  # a component inside another's rectangle: moments see both
    cases.append(('nested_rectangles', ring[::2, ::2] * 0.5, ring, (420, 300), 144))
    cases.append(('noise', rng.random((5, 7)), rng.random((9, 13)), (434, 310), 144))
    edge = blob(12, 8, 1.2)  # mass at the map's far corner: boxes clipped to the image
    cases.append(('clipped_at_the_image_edge', edge[::2, ::2], edge, (420, 300), 144))
    tall = rng.random((13, 9)) ** 3
    cases.append(('portrait_noise', rng.random((7, 5)), tall, (250, 350), 144))
    return cases


def main():
    checkout, out_dir = sys.argv[1], sys.argv[2]
    orig = load_original(checkout)
    rng = np.random.default_rng(2021)
    arrays, meta = {}, {'structured': [], 'images': [], 'transforms': []}
    for name, small, large, size, scale in structured_cases(rng):
        # the stand-in's map for each scale's input width: the original asks for the CAM at
        # `scale` and `2 * scale`; the inputs are the padded resized stand-in image
        img = Image.new('RGB', size)
        data = Data(img, label=0)
        w_small = orig['get_transform'](scale)(img).shape[-1]
        w_large = orig['get_transform'](scale * 2)(img).shape[-1]
        net = stand_in_net(StoredMaps({w_small: small, w_large: large}), nn.Linear(1, 1))
        net.fc.weight.data[:] = 1.0
        net.fc.bias.data[:] = 0.0
        res = run(orig, net, data, scale, flip=False)
        arrays[f'{name}/small'] = np.asarray(small, np.float32)
        arrays[f'{name}/large'] = np.asarray(large, np.float32)
        for k, v in res.items():
            arrays[f'{name}/{k}'] = v
        meta['structured'].append(dict(name=name, size=list(size), scale=scale))
    # whole pipeline: image -> resize / normalise / pad -> a stride-32 stand-in network ->
    # flip-averaged CAMs at two scales -> boxes -> NMS
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 4, 32, 32, bias=True)
    fc = nn.Linear(4, 3)
    arrays['net/conv.weight'] = conv.weight.detach().numpy()
    arrays['net/conv.bias'] = conv.bias.detach().numpy()
    arrays['net/fc.weight'] = fc.weight.detach().numpy()
    arrays['net/fc.bias'] = fc.bias.detach().numpy()
    net = stand_in_net(conv, fc)
    for name, (h, w), label, scale in (('landscape', (61, 75), 2, 96),
                                       ('portrait', (83, 58), 1, 80),
                                       ('short_side_is_the_scale', (64, 90), 0, 64)):
        yy, xx = np.mgrid[0:h, 0:w]
        img = np.stack([127 + 120 * np.sin(xx / (4 + c) + yy / (7 - c)) for c in range(3)], -1)
        img = np.clip(img + rng.normal(0, 20, img.shape), 0, 255).astype(np.uint8)
        res = run(orig, net, Data(Image.fromarray(img), label), scale, flip=True)
        arrays[f'{name}/image'] = img
        for k, v in res.items():
            arrays[f'{name}/{k}'] = v
        meta['images'].append(dict(name=name, label=label, scale=scale))
        for s in (scale, 2 * scale):
            arrays[f'{name}/input{s}'] = orig['get_transform'](s)(Image.fromarray(img)).numpy()
            meta['transforms'].append(dict(name=name, short=s))
    os.makedirs(out_dir, exist_ok=True)
    np.savez_compressed(os.path.join(out_dir, 'dap_boxes.npz'), **arrays)
    with open(os.path.join(out_dir, 'dap_boxes.json'), 'w') as f:
        json.dump(dict(meta, nms=list(NMS), thresholds=[0.2, 0.3, 0.4, 0.5]), f, indent=1)
    print({k: v.shape for k, v in arrays.items() if not k.startswith('net/')})


if __name__ == '__main__':
    main()
