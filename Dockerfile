# The image the Helm chart (helm/fitvision) deploys: every service binary, the
# models and the ONNX Runtime library. Build from the repository root:
#   docker build -t fitvision:0.1.0 .
# The image carries only permissively licensed weights (BlazePose, the default pose
# model, and the text detector: Apache-2.0). The AGPL-3.0 YOLO11n-pose weights are
# left out unless asked for (models/README.md):
#   docker build --build-arg WITH_AGPL_YOLO=true -t fitvision:0.1.0-yolo .
# Base images come from Docker Hub; everything else from Debian, crates.io and
# PyPI, the same sources scripts/setup.sh uses.

FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libopencv-dev clang libclang-dev pkg-config python3-pip unzip \
 && rm -rf /var/lib/apt/lists/*
# ONNX Runtime's shared library from the PyPI wheel (the binaries load it at run time).
ARG ORT_VERSION=1.31.1
RUN python3 -m pip download --no-deps "onnxruntime==${ORT_VERSION}" -d /tmp/ort \
 && unzip -q /tmp/ort/onnxruntime-*.whl -d /tmp/ort/x \
 && mkdir -p /usr/local/lib/fitvision \
 && cp /tmp/ort/x/onnxruntime/capi/libonnxruntime.so.${ORT_VERSION} /usr/local/lib/fitvision/ \
 && ln -s libonnxruntime.so.${ORT_VERSION} /usr/local/lib/fitvision/libonnxruntime.so
WORKDIR /src
COPY . .
# The clip the demo sessions are analysed from at first start (PyPI sports2d wheel).
RUN FITVISION_FIXTURES_DIR=/demo bash scripts/fetch-fixtures.sh
RUN cargo build --release --locked --workspace --bins \
 && mkdir -p /out \
 && for bin in fitvision session pose-inference cheat-detection exercise-metrics coaching edge; do \
      cp "target/release/$bin" /out/; \
    done

FROM debian:bookworm-slim
# Only the OpenCV modules the services link, plus ffmpeg for the annotated video.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libopencv-core406 libopencv-imgproc406 libopencv-imgcodecs406 libopencv-videoio406 \
      libopencv-features2d406 libopencv-calib3d406 ffmpeg ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/lib/fitvision /usr/local/lib/fitvision
COPY --from=build /out/ /usr/local/bin/
COPY models /opt/fitvision/models
ARG WITH_AGPL_YOLO=false
RUN if [ "$WITH_AGPL_YOLO" != "true" ]; then rm -rf /opt/fitvision/models/yolo11n-pose; fi
COPY --from=build /demo/sports2d-demo.mp4 /opt/fitvision/demo/sports2d-demo.mp4
WORKDIR /opt/fitvision
ENV FITVISION_MODELS_DIR=/opt/fitvision/models \
    FITVISION_DEMO_VIDEO=/opt/fitvision/demo/sports2d-demo.mp4
USER 65534:65534
EXPOSE 8080 50051 50052 50053 50054 50055
CMD ["fitvision", "serve", "--data-dir", "/tmp/fitvision", "--bind", "0.0.0.0"]
