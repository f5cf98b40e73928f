"""Baseline for pose-bench: Ultralytics' own solutions.AIGym on one video, CPU.

Prints one JSON line: {"frames": N, "seconds": S, "fps": F}. Timing covers the same
work as our pipeline (decode + pose + tracking per frame), not model loading.
Usage: python aigym_baseline.py VIDEO WEIGHTS.pt THREADS
"""

import json
import os
import sys
import tempfile
import time

os.environ.setdefault("YOLO_CONFIG_DIR", tempfile.mkdtemp(prefix="yolo-config-"))
os.environ.setdefault("YOLO_OFFLINE", "1")

import cv2  # noqa: E402
import torch  # noqa: E402
from ultralytics import solutions  # noqa: E402


def main() -> None:
    video, weights, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    torch.set_num_threads(threads)
    cv2.setNumThreads(threads)
    gym = solutions.AIGym(model=weights, show=False, kpts=[6, 8, 10], verbose=False)
    capture = cv2.VideoCapture(video)
    ok, frame = capture.read()
    gym(frame)  # warm-up: first call builds the model
    frames = 0
    started = time.perf_counter()
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        gym(frame)
        frames += 1
    seconds = time.perf_counter() - started
    print(json.dumps({"frames": frames, "seconds": seconds, "fps": frames / seconds}))


if __name__ == "__main__":
    main()
