"""INT8 (static QDQ) versions of the BlazePose landmark and detector networks, for
measuring what INT8 would cost in accuracy (it was rejected: see
services/pose-inference/README.md). Not used by the service.

Usage:
  python quantize_blazepose.py MODELS_DIR OUT_DIR DUMPS_DIR VIDEO_DIR

DUMPS_DIR holds one `<stem>.txt` per calibration video, the output of
`cargo run --release -p fitvision-pose-inference --example pose_dump -- VIDEO 3 0.5`
(person boxes per analysed frame); VIDEO_DIR holds `<stem>.mp4`. Landmark activations
are calibrated on square crops around those boxes (side 1.3x the box's long side,
turned up to 20 degrees, as the service's regions are), the detector's on whole frames
letterboxed to 224. Weights int8 per channel, activations uint8, MinMax. Needs
onnxruntime, onnx, numpy and opencv-python-headless (PyPI).
"""

import glob
import os
import re
import sys

import cv2
import numpy as np
import onnx
from onnx import version_converter
from onnxruntime.quantization import (
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process


def samples(dumps, videos):
    for txt in sorted(glob.glob(os.path.join(dumps, "*.txt"))):
        stem = os.path.basename(txt)[:-4]
        wanted = {}
        for line in open(txt):
            fields = line.split()
            if len(fields) < 3 or not fields[0].isdigit():
                continue
            boxes = re.findall(r"@\(([\d.-]+),([\d.-]+) ([\d.]+)x([\d.]+)", line)
            wanted[int(fields[0])] = [tuple(map(float, b)) for b in boxes]
        capture = cv2.VideoCapture(os.path.join(videos, stem + ".mp4"))
        index = 0
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            if index in wanted:
                yield frame, wanted[index]
            index += 1


def letterbox(image, side):
    height, width = image.shape[:2]
    scale = side / max(height, width)
    scaled_w, scaled_h = round(width * scale), round(height * scale)
    canvas = np.zeros((side, side, 3), np.uint8)
    top, left = (side - scaled_h) // 2, (side - scaled_w) // 2
    canvas[top : top + scaled_h, left : left + scaled_w] = cv2.resize(
        image, (scaled_w, scaled_h), interpolation=cv2.INTER_LINEAR
    )
    return canvas


def chw(image):
    rgb = image[:, :, ::-1].transpose(2, 0, 1)[None]
    return np.ascontiguousarray(rgb, np.float32) / 255.0


class Reader(CalibrationDataReader):
    def __init__(self, name, data):
        self.name, self.data = name, iter(data)

    def get_next(self):
        x = next(self.data, None)
        return None if x is None else {self.name: x}


def main():
    models, out, dumps, videos = sys.argv[1:5]
    crops, frames = [], []
    rng = np.random.default_rng(7)
    for frame, boxes in samples(dumps, videos):
        frames.append(chw(letterbox(frame, 224)) * 2.0 - 1.0)
        for cx, cy, bw, bh in boxes:
            side = 1.3 * max(bw, bh) * rng.uniform(0.9, 1.15)
            turn = cv2.getRotationMatrix2D((cx, cy), rng.uniform(-20, 20), 256 / side)
            turn[0, 2] += 128 - cx
            turn[1, 2] += 128 - cy
            crops.append(chw(cv2.warpAffine(frame, turn, (256, 256))))
    print(f"calibration: {len(crops)} crops, {len(frames)} frames")
    for model, data in (("blazepose-full", crops), ("pose-detection", frames)):
        # Per-channel QDQ needs opset 13 (the conversion writes 11).
        upgraded = version_converter.convert_version(
            onnx.load(os.path.join(models, model + ".onnx")), 13
        )
        opset13 = os.path.join(out, model + "-op13.onnx")
        onnx.save(upgraded, opset13)
        prepared = os.path.join(out, model + "-pre.onnx")
        quant_pre_process(opset13, prepared)
        quantize_static(
            prepared,
            os.path.join(out, model + "-int8.onnx"),
            Reader(upgraded.graph.input[0].name, data),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
        )
        print("wrote", model + "-int8.onnx")


if __name__ == "__main__":
    main()
