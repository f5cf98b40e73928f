"""INT8 (static QDQ) version of the dynamic-shape YOLO pose model.

Usage: python quantize_yolo_pose.py FP32.onnx OUT.onnx CALIBRATION_VIDEO

Activations are calibrated (MinMax) on frames of CALIBRATION_VIDEO, letterboxed as the
service does: whole frames at 640 long side and crops around the frame centre, the
two kinds of input the service feeds the model. Weights are int8 per channel,
activations uint8. The head's decoding (box/keypoint arithmetic after its last
convolutions) stays FP32: it maps to pixel coordinates, where int8 steps would show.
Deterministic for a given video and onnxruntime version.
"""

import os
import sys

import cv2
import numpy as np
import onnx
from onnxruntime.quantization import (
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process

STRIDE = 32
CALIBRATION_FRAMES = 24


def letterbox(image, long_side):
    height, width = image.shape[:2]
    scale = long_side / max(height, width)
    scaled_w, scaled_h = round(width * scale), round(height * scale)
    input_w = -(-scaled_w // STRIDE) * STRIDE
    input_h = -(-scaled_h // STRIDE) * STRIDE
    canvas = np.full((input_h, input_w, 3), 114, np.uint8)
    top, left = (input_h - scaled_h) // 2, (input_w - scaled_w) // 2
    canvas[top : top + scaled_h, left : left + scaled_w] = cv2.resize(
        image, (scaled_w, scaled_h), interpolation=cv2.INTER_LINEAR
    )
    rgb = canvas[:, :, ::-1].transpose(2, 0, 1)[None]
    return np.ascontiguousarray(rgb, dtype=np.float32) / 255.0


def calibration_inputs(video):
    capture = cv2.VideoCapture(video)
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or 240
    step = max(1, total // CALIBRATION_FRAMES)
    inputs, index = [], 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        if index % step == 0:
            inputs.append(letterbox(frame, 640))
            height, width = frame.shape[:2]
            crop = frame[height // 8 : height * 7 // 8, width // 4 : width * 3 // 4]
            inputs.append(letterbox(crop, 320))
        index += 1
    if not inputs:
        sys.exit(f"no frames in {video}")
    return inputs


class Reader(CalibrationDataReader):
    def __init__(self, name, inputs):
        self.items = iter([{name: tensor} for tensor in inputs])

    def get_next(self):
        return next(self.items, None)


def main():
    source, target, video = sys.argv[1:4]
    prepared = target + ".pre.onnx"
    quant_pre_process(source, prepared, skip_symbolic_shape=True)
    model = onnx.load(prepared)
    input_name = model.graph.input[0].name
    head_decoding = [
        node.name
        for node in model.graph.node
        if "/model.23/" in node.name and node.op_type != "Conv"
    ]
    quantize_static(
        prepared,
        target,
        Reader(input_name, calibration_inputs(video)),
        quant_format=QuantFormat.QDQ,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        per_channel=True,
        nodes_to_exclude=head_decoding,
    )
    os.remove(prepared)


if __name__ == "__main__":
    main()
