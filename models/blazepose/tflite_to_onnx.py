"""Converts a MediaPipe BlazePose .tflite model to ONNX with PyPI `tflite2onnx`.

tflite2onnx 0.4.1 covers almost every op these models use. Three gaps are closed here,
without editing the installed package:

- DENSIFY (the person detector stores its 1x1 convolution weights as sparse fp16
  tensors): the sparse constant is expanded to a dense array when it is read, and the
  DENSIFY op is folded away like the fp16 DEQUANTIZE that follows it.
- DEPTH_TO_SPACE (the detector's upsampling): mapped to ONNX DepthToSpace in DCR mode,
  which is TensorFlow's element order once the tensors are NCHW.
- A PAD whose pads tensor is shared by two ops: tflite2onnx rewrites the tensor into
  ONNX order in place, so the second op must not rewrite it again.

Usage: python tflite_to_onnx.py MODEL.tflite OUT.onnx
"""

import sys

import numpy as np
import tflite
import tflite2onnx
from tflite2onnx import graph as t2o_graph
from tflite2onnx import tensor as t2o_tensor
from tflite2onnx.layout import Layout
from tflite2onnx.op import OpFactory
from tflite2onnx.op.common import Operator
from tflite2onnx.op.padding import Padding

DENSE = tflite.DimensionType.DENSE


def _index_vector(dim_metadata, which):
    """The segments or indices vector of a SPARSE_CSR dimension, as a numpy array."""
    kind = dim_metadata.ArraySegmentsType() if which == "segments" else dim_metadata.ArrayIndicesType()
    table = dim_metadata.ArraySegments() if which == "segments" else dim_metadata.ArrayIndices()
    vector_class = {
        tflite.SparseIndexVector.Int32Vector: tflite.Int32Vector,
        tflite.SparseIndexVector.Uint16Vector: tflite.Uint16Vector,
        tflite.SparseIndexVector.Uint8Vector: tflite.Uint8Vector,
    }[kind]
    vector = vector_class()
    vector.Init(table.Bytes, table.Pos)
    return vector.ValuesAsNumpy().astype(np.int64)


def densify(values, shape, sparsity):
    """Expands TFLite's sparse storage (per-dimension DENSE or SPARSE_CSR, no blocks)."""
    assert sparsity.BlockMapLength() == 0, "block-sparse tensors are not needed here"
    order = sparsity.TraversalOrderAsNumpy()
    assert list(order) == list(range(len(shape))), "only the natural traversal order"
    dense = np.zeros(int(np.prod(shape)), dtype=values.dtype)
    strides = np.cumprod([1] + list(shape[::-1]))[::-1][1:]
    next_value = 0

    def walk(dim, parent, offset):
        nonlocal next_value
        meta = sparsity.DimMetadata(dim)
        if meta.Format() == DENSE:
            coordinates = range(meta.DenseSize())
            positions = [parent * meta.DenseSize() + c for c in coordinates]
        else:
            segments = _index_vector(meta, "segments")
            indices = _index_vector(meta, "indices")
            span = range(segments[parent], segments[parent + 1])
            coordinates = [indices[i] for i in span]
            positions = list(span)
        for coordinate, position in zip(coordinates, positions):
            here = offset + coordinate * strides[dim]
            if dim == len(shape) - 1:
                dense[here] = values[next_value]
                next_value += 1
            else:
                walk(dim + 1, position, here)

    walk(0, 0, 0)
    assert next_value == len(values), "every stored value lands once"
    return dense.reshape(shape)


_original_get_data = t2o_tensor.TensorFactory.getData


def _get_data(model, graph, index, dtype):
    tensor = graph.Tensors(index)
    sparsity = tensor.Sparsity()
    if sparsity is None:
        return _original_get_data(model, graph, index, dtype)
    raw = model.Buffers(tensor.Buffer()).DataAsNumpy()
    values = np.frombuffer(raw, dtype=dtype)
    return densify(values, [int(d) for d in tensor.ShapeAsNumpy()], sparsity)


t2o_tensor.TensorFactory.getData = staticmethod(_get_data)


class Densify(Operator):
    """Placeholder for DENSIFY: its input is already dense (see `_get_data`)."""

    TypeMapping = {tflite.BuiltinOperator.DENSIFY: "Identity"}

    def __init__(self, TFactory, index):
        super().__init__(TFactory, index)
        self.setInited()

    @property
    def type(self):
        return "Identity"

    def parse(self):
        self.parseInput(0)
        self.parseOutput(0)
        self.setParsed()

    def propagatableTensors(self):
        return self.inputs + self.outputs

    def transform(self):
        pass


class DepthToSpace(Operator):
    TypeMapping = {tflite.BuiltinOperator.DEPTH_TO_SPACE: "DepthToSpace"}

    def __init__(self, TFactory, index):
        super().__init__(TFactory, index)
        self.attrs["mode"] = "DCR"
        self.setInited()

    @property
    def type(self):
        return "DepthToSpace"

    def parse(self):
        op = self.tflite
        self.parseInput(0, Layout("NHWC", "NCHW"))
        self.parseOutput(0, Layout("NHWC", "NCHW"))
        options = tflite.DepthToSpaceOptions()
        builtin = op.BuiltinOptions()
        options.Init(builtin.Bytes, builtin.Pos)
        self.attrs["blocksize"] = options.BlockSize()
        self.setParsed()

    def propagatableTensors(self):
        return []

    def transform(self):
        pass


OpFactory.register(Densify)
OpFactory.register(DepthToSpace)

_original_fold_fp16 = t2o_graph.foldFP16QuantPattern


def _fold_densify_then_fp16(ops):
    for op in [op for op in ops if isinstance(op, Densify)]:
        source, result = op.inputs[0], op.outputs[0]
        for consumer in list(result.consumers):
            consumer.replaceInput(result, source)
            source.addConsumer(consumer)
        source.removeConsumer(op)
        ops.remove(op)
    _original_fold_fp16(ops)


t2o_graph.foldFP16QuantPattern = _fold_densify_then_fp16

_original_pad_transform = Padding.transform


def _pad_transform(self):
    if len(self.inputs[1].shape) == 1:
        return  # a pads tensor shared with an op already transformed: ONNX order already
    _original_pad_transform(self)


Padding.transform = _pad_transform

if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    tflite2onnx.convert(sys.argv[1], sys.argv[2])
