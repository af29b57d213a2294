"""glassnet.segmentation: vision beyond "image in, label out" — U-Net segmentation, classification +
localisation (boxes), the MNIST-canvas dataset builder, and pictures of masks and boxes.
Losses and metrics: ``glassnet.losses.Dice``, ``glassnet.metrics.MeanIoU`` / ``IoU``, :class:`BoxIoULoss`,
:class:`BoxIoU`.

>>> from glassnet.segmentation import unet
>>> unet((16, 16, 1), num_classes=2, filters=(4, 8)).name
'unet'
"""

from glassnet.segmentation.boxes import BoxIoU, BoxIoULoss, box_iou, localisation_model
from glassnet.segmentation.canvas import Canvases, make_canvases, mnist_canvases
from glassnet.segmentation.pictures import colour_masks, draw_boxes, show_masks
from glassnet.segmentation.unet import conv_block, unet

__all__ = ["unet", "conv_block", "Canvases", "make_canvases", "mnist_canvases", "box_iou", "BoxIoULoss", "BoxIoU",
           "localisation_model", "colour_masks", "show_masks", "draw_boxes"]
