# AlignDet box-domain pre-training of Mask R-CNN R50-FPN on COCO proposals (ICCV 2023,
# Sec. 3.3). AlignDet builds the Mask R-CNN it pre-trains WITHOUT a mask head
# (mask_roi_extractor=None, mask_head=None in liming-ai/AlignDet
# configs/_base_/models/selfsup_mask_rcnn_r50_fpn.py): proposals have no masks, so the mask head
# is neither trained nor saved and starts from random init when the Mask R-CNN is fine-tuned.
# The model pre-trained is therefore exactly the Faster R-CNN one; this name exists so that
# the Mask R-CNN fine-tune configs point at their own pre-training work dir.
_base_ = ['./faster-rcnn_r50_fpn_aligndet-pretrain_1x_coco.py']
