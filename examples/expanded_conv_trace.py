"""Waveform classification with an expanded 1-D convolution, and the dense part of the model
replayed from a trace. Written for the reference software's perceptron API; like
reference_style_digits.py it differs from the script for the hardware in its import line only.

Run from the repository root (after ``pip install -e '.[torch]'``):

    python examples/expanded_conv_trace.py   # about 30 s of CPU time; test accuracy 89 %

Signals of 64 samples (0..31) are sines, squares or triangles of random frequency and phase.
The convolution (8 kernels of 8 samples, stride 4) is an ExpandedConv1d: 31 shifted copies of
the kernels fill one synapse array, so each signal is one input vector instead of 15. The model
is trained in mock mode, then run on the chip; the dense classifier (Linear, ConvertingReLU,
Linear) is traced once with an InferenceTracer and the test set is replayed from the trace,
batch by batch, with the results of the eager forward for the same seeds.
"""

import argparse
import math
import os
import tempfile

import torch

import chipsim.torch as hxtorch  # the hardware script: import hxtorch

hxp = hxtorch.perceptron
LENGTH = 64


def waveforms(n, generator):
    """``n`` signals (n, 1, 64) in 0..31 and their classes: 0 sine, 1 square, 2 triangle."""
    labels = torch.randint(0, 3, (n,), generator=generator)
    cycles = 2 + 3 * torch.rand(n, 1, generator=generator)
    phase = torch.rand(n, 1, generator=generator)
    t = torch.arange(LENGTH) / LENGTH
    position = (cycles * t + phase) % 1.0
    sine = torch.sin(2 * math.pi * position)
    square = torch.where(position < 0.5, 1.0, -1.0)
    triangle = 4 * (position - 0.5).abs() - 1
    wave = torch.stack([sine, square, triangle])[labels, torch.arange(n)]
    noisy = wave + 0.1 * torch.randn(n, LENGTH, generator=generator)
    return (15.5 + 14 * noisy).round().clamp(0, 31).unsqueeze(1), labels


class Model(torch.nn.Module):
    def __init__(self, mock: bool):
        super().__init__()
        self.features = torch.nn.Sequential(
            hxp.nn.ExpandedConv1d(
                1,
                8,
                kernel_size=8,
                stride=4,
                bias=False,
                num_sends=None,
                wait_between_events=5,
                mock=mock,
            ),
            hxp.nn.ConvertingReLU(shift=2, mock=mock),
        )
        self.classifier = torch.nn.Sequential(
            hxp.nn.Linear(8 * 15, 32, num_sends=None, wait_between_events=5, mock=mock),
            hxp.nn.ConvertingReLU(shift=1, mock=mock),
            hxp.nn.Linear(32, 3, num_sends=None, wait_between_events=5, mock=mock),
        )

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))

    def set_mock(self, mock: bool):
        for layer in list(self.features) + list(self.classifier):
            layer.mock = mock


def train(model, x, y, epochs, lr, batch_size=32):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(epochs):
        for idx in torch.randperm(len(y)).split(batch_size):
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x[idx]) / 8.0, y[idx])
            loss.backward()
            optimizer.step()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--train-samples", type=int, default=1200)
    parser.add_argument("--test-samples", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1)
    x_train, y_train = waveforms(args.train_samples, generator)
    x_test, y_test = waveforms(args.test_samples, generator)

    hxtorch.init_hardware()
    parameter = hxp.measure_mock_parameter()
    hxp.set_mock_parameter(parameter)

    model = Model(mock=True)
    print(model)
    print(f"expansions of the convolution: {model.features[0].num_expansions}")
    train(model, x_train, y_train, args.epochs, lr=0.3)
    model.set_mock(False)

    with torch.no_grad():
        features = model.features(x_test).flatten(1)  # the convolution, eagerly on the chip
        trace_path = os.path.join(tempfile.mkdtemp(), "classifier.trace")
        tracer = hxp.InferenceTracer(trace_path)
        tracer.start()
        model.classifier(features[: args.batch_size])
        print(f"traced: {tracer.stop()}")

        torch.manual_seed(7)
        eager = torch.cat([model.classifier(batch) for batch in features.split(args.batch_size)])
        torch.manual_seed(7)
        replayed = torch.cat(
            [hxp.inference_trace(batch, trace_path) for batch in features.split(args.batch_size)]
        )
    same = bool(torch.equal(eager, replayed))
    accuracy = float((hxp.argmax(replayed, dim=1) == y_test).float().mean())
    print(f"replay equals the eager forward: {same}")
    print(f"on the chip, classifier replayed from the trace: test accuracy {100 * accuracy:.1f} %")

    hxtorch.release_hardware()
    return accuracy, same


if __name__ == "__main__":
    main()
