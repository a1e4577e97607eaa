"""A picture of DAP's class activation maps and pseudo boxes on real photos (scikit-image's
sample images), with torchvision's ImageNet MobileNetV2 that tools/setup_env.sh fetches.

    python tools/analysis_tools/dap_cam_picture.py --out docs/images/dap_cam_boxes.jpg

Each panel: the photo, the fused two-scale CAM of the classifier's top class (DAP's short
sides 288 and 576, flip-averaged), the boxes after NMS 0.8 (the first, largest box thicker)
and the class with its probability.
"""

import argparse
import sys

PHOTOS = ('chelsea', 'astronaut', 'coffee')


def cam_panels(checkpoint, photos=PHOTOS, nms=0.8):
    """[(name, PIL image, fused CAM (h, w), boxes (M, 5) after NMS, class name, prob)]."""
    import skimage.data
    import torch
    from PIL import Image
    from torchvision.models import MobileNet_V2_Weights

    from dpt.pseudo_boxes import (
        CamSettings,
        build_classifier,
        cam_boxes,
        class_activation_maps,
        network_input,
        nms_boxes,
    )

    names = MobileNet_V2_Weights.IMAGENET1K_V1.meta['categories']
    clf = build_classifier('torchvision:mobilenet_v2', checkpoint)
    out = []
    for photo in photos:
        img = Image.fromarray(getattr(skimage.data, photo)()).convert('RGB')
        with torch.no_grad():
            prob = clf(network_input([img], 224)).softmax(1)[0]
        label = int(prob.argmax())
        cams, cell = class_activation_maps(clf, [img], [label], CamSettings())
        boxes = nms_boxes(cam_boxes(cams[0].numpy(), cell, img.size), nms)
        out.append((photo, img, cams[0].numpy(), cell, boxes, names[label], float(prob[label])))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        '--checkpoint',
        help='torchvision mobilenet_v2 ImageNet weights (default: '
        'the set-up\'s copy, dpt.utils.offline_weights)',
    )
    p.add_argument('--out', default='dap_cam_boxes.jpg')
    args = p.parse_args(argv)
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import numpy as np

    from dpt.utils.offline_weights import mobilenet_v2_imagenet

    checkpoint = args.checkpoint or mobilenet_v2_imagenet()
    if checkpoint is None:
        sys.exit(
            'dap_cam_picture: no MobileNetV2 weights: run tools/setup_env.sh or pass --checkpoint'
        )
    panels = cam_panels(checkpoint)
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.4))
    for ax, (photo, img, cam, cell, boxes, cls, prob) in zip(axes, panels):
        w, h = img.size
        ax.imshow(img)
        # the map's cells cover the padded input: extent in image pixels
        ax.imshow(
            cam,
            cmap='jet',
            alpha=0.45,
            extent=(0, cam.shape[1] * cell, cam.shape[0] * cell, 0),
            vmin=0,
            vmax=1,
            interpolation='bilinear',
        )
        for i, (x0, y0, x1, y1, _) in enumerate(boxes):
            ax.add_patch(
                plt.Rectangle(
                    (x0, y0),
                    x1 - x0,
                    y1 - y0,
                    fill=False,
                    color='white' if i else 'yellow',
                    lw=3 if i == 0 else 1.5,
                )
            )
        ax.set_xlim(0, w)
        ax.set_ylim(h, 0)
        ax.set_title(f'{photo}: {cls} ({100 * prob:.0f} %), {len(boxes)} boxes', fontsize=9)
        ax.axis('off')
    fig.suptitle(
        'DAP pseudo boxes: CAM at short sides 288 + 576 (flip-averaged), '
        'thresholds 0.2-0.5, NMS 0.8; torchvision MobileNetV2 (ImageNet)',
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(
        args.out,
        dpi=80,
        pil_kwargs={'quality': 85} if args.out.endswith(('.jpg', '.jpeg')) else None,
    )
    print(f'wrote {args.out}')
    for photo, img, cam, cell, boxes, cls, prob in panels:
        print(photo, cls, np.round(boxes[:, :4], 1).tolist())


if __name__ == '__main__':
    main()
