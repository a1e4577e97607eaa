#!/usr/bin/env bash
# Make the pictures and outputs of docs/tools.md from small demo data, with the tools
# themselves: bash tools/analysis_tools/tool_pictures.sh   (~10 min on 2 CPU cores)
# Everything but docs/images/tools_*.jpg goes to work_dirs/tool_pictures/.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
W=work_dirs/tool_pictures
D=$W/demo
C=$W/demo_cls
IMG=docs/images
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
LOADERS="train_dataloader.num_workers=0 train_dataloader.persistent_workers=False"
LOADERS="$LOADERS val_dataloader.num_workers=0 val_dataloader.persistent_workers=False"
LOADERS="$LOADERS test_dataloader.num_workers=0 test_dataloader.persistent_workers=False"
ROOTS="train_dataloader.dataset.data_root=$D/ val_dataloader.dataset.data_root=$D/"
ROOTS="$ROOTS test_dataloader.dataset.data_root=$D/ val_evaluator.ann_file=$D/annotations/instances_val.json"
ROOTS="$ROOTS test_evaluator.ann_file=$D/annotations/instances_val.json"

# the first item a tool drew, as a small JPEG for the docs
jpeg() {
    $PY -c "import cv2, sys; cv2.imwrite(sys.argv[2], cv2.imread(sys.argv[1]), [cv2.IMWRITE_JPEG_QUALITY, 88])" "$1" "$2"
    echo "$2: $(du -k "$2" | cut -f1) KB"
}
first() { find "$1" -name '*.png' | sort | head -n 1; }

$PY tools/misc/make_demo_data.py --out $D --num-train 48 --num-val 16
$PY tools/misc/make_proposals.py --img-dir $D/train --ann-file $D/annotations/instances_train.json \
    --out $D/annotations/train_ratio3size0008@0.5.json --workers 1

# 1. browse_dataset, one picture per kind of pipeline
for pair in baseline:configs/baselines/mask-rcnn_tiny_demo.py \
            lowres:configs/direct_pretraining/mask-rcnn_tiny_lowres-pretrain_demo.py \
            aligndet:configs/aligndet/faster-rcnn_aligndet-pretrain_tiny_demo.py \
            detreg:configs/detreg/deformable-detr_detreg-pretrain_tiny_demo.py; do
    name=${pair%%:*}; config=${pair#*:}
    rm -rf $W/browse/$name
    $PY tools/analysis_tools/browse_dataset.py "$config" --output-dir $W/browse/$name \
        --not-show --max 2 --cfg-options train_dataloader.dataset.data_root=$D/ randomness.seed=1
    jpeg "$(first $W/browse/$name)" $IMG/tools_browse_$name.jpg
done

# DAP: a small classifier, its CAM pseudo boxes, the pre-training pipeline, the CAM heat map
$PY tools/misc/make_demo_data.py --task classification --out $C --num-train 120 --num-val 30
KW='{"channels": [16, 32, 64, 128], "stem_width": 16}'
$PY tools/misc/train_classifier.py $C/train $W/classifier.pth --val-dir $C/val \
    --model-kwargs "$KW" --epochs 8 --image-size 96 --batch-size 32
rm -f $C/annotations/train_cam_boxes*  # the classifier above is new each run: no resuming
$PY tools/misc/make_cam_boxes.py $C/train --classifier timm:resnet18 --checkpoint $W/classifier.pth \
    --model-kwargs "$KW" --out $C/annotations/train_cam_boxes --scales 96 192 --limit 12 \
    --gt-ann $C/annotations/train_gt.json
rm -rf $W/browse/dap
$PY tools/analysis_tools/browse_dataset.py configs/dap/faster-rcnn_dap-pretrain_tiny_demo.py \
    --output-dir $W/browse/dap --not-show --max 2 --cfg-options train_dataloader.dataset.data_root=$C/
jpeg "$(first $W/browse/dap)" $IMG/tools_browse_dap.jpg

# 2. browse_boxes: proposals with the true boxes; CAM boxes over their heat map
rm -rf $W/boxes
$PY tools/analysis_tools/browse_boxes.py $D/annotations/train_ratio3size0008@0.5.json \
    --img-dir $D/train --gt $D/annotations/instances_train.json --output-dir $W/boxes/proposals \
    --max 2 --max-boxes 20
jpeg "$(first $W/boxes/proposals)" $IMG/tools_boxes_proposals.jpg
$PY tools/analysis_tools/browse_boxes.py $C/annotations/train_cam_boxes_nms0.8.json \
    --img-dir $C/train --gt $C/annotations/train_gt.json --output-dir $W/boxes/cams --max 2 \
    --classifier timm:resnet18 --checkpoint $W/classifier.pth --model-kwargs "$KW" --scales 96 192
jpeg "$(first $W/boxes/cams)" $IMG/tools_boxes_cam.jpg

# 3. curves of two runs (lr 0.02 and 0.01)
for lr in 0.02 0.01; do
    # shellcheck disable=SC2086
    $PY tools/train.py configs/baselines/faster-rcnn_tiny_demo.py --work-dir $W/runs/lr$lr \
        --resume --cfg-options $ROOTS $LOADERS \
        train_cfg.max_epochs=4 train_cfg.val_interval=1 default_hooks.logger.interval=2 \
        optim_wrapper.optimizer.lr=$lr randomness.seed=0
done
$PY tools/analysis_tools/analyze_logs.py plot_curve $W/runs/lr0.02 $W/runs/lr0.01 \
    --keys loss coco/bbox_mAP_50 --legend 'lr 0.02' 'lr 0.01' --out $W/curve.png
jpeg $W/curve.png $IMG/tools_curve.jpg

# 4. inference with the first run's checkpoint (4 epochs: its best scores are below 0.2)
rm -rf $W/infer
$PY tools/infer.py configs/baselines/faster-rcnn_tiny_demo.py $W/runs/lr0.02/epoch_4.pth \
    "$D/val/$(ls $D/val | head -n 1)" --out-dir $W/infer --score-thr 0.15 --device cpu
jpeg "$(find $W/infer/vis -type f | head -n 1)" $IMG/tools_infer.jpg
