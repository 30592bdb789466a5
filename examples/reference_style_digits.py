"""A training script written for the reference software's perceptron API. It differs from the
script for the hardware in its import line only; the chip it runs on is chosen outside it.

Run from the repository root (after ``pip install -e '.[torch]'``):

    python examples/reference_style_digits.py            # about a minute on two cores
    python examples/reference_style_digits.py --epochs 1 --test-samples 100   # a quick look

The simulated chip is the built-in bss2 unless the environment variable CHIPSIM_CHIP names another
chip YAML (CHIPSIM_CALIBRATION, CHIPSIM_SEED: its calibration profile and fixed pattern).

It measures the mock parameters on the chip, trains in mock mode (fast), then evaluates the same
model on the chip (mock=False) and retrains one epoch with the chip in the loop.
"""

import argparse

import torch
from sklearn.datasets import load_digits

import chipsim.torch as hxtorch  # the hardware script: import hxtorch

hxp = hxtorch.perceptron


class Model(torch.nn.Module):
    """64 inputs -> 128 hidden -> 10 classes, all multiply-accumulates on the chip."""

    def __init__(self, mock: bool):
        super().__init__()
        self.classifier = torch.nn.Sequential(
            hxp.nn.Linear(64, 128, num_sends=None, wait_between_events=5, mock=mock),
            hxp.nn.ConvertingReLU(shift=1, mock=mock),
            hxp.nn.Linear(128, 10, num_sends=None, wait_between_events=5, mock=mock),
        )

    def forward(self, x):
        return self.classifier(x)

    def set_mock(self, mock: bool):
        for layer in self.classifier:
            layer.mock = mock


def accuracy(model, x, y):
    with torch.no_grad():
        return float((hxp.argmax(model(x), dim=1) == y).float().mean())


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
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--test-samples", type=int, default=500)
    args = parser.parse_args(argv)
    torch.manual_seed(0)

    hxtorch.init_hardware()
    parameter = hxp.measure_mock_parameter()
    hxp.set_mock_parameter(parameter)
    print(
        f"mock parameter measured on the chip: gain {parameter.gain:.5f}, "
        f"noise {parameter.noise_std:.2f}"
    )

    digits = load_digits()
    x = torch.tensor(digits.data * 31.0 / 16.0, dtype=torch.float32)  # 0..16 -> 0..31
    y = torch.tensor(digits.target)
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(1))
    test, trainset = order[: args.test_samples], order[args.test_samples :]

    model = Model(mock=True)
    print(model)
    train(model, x[trainset], y[trainset], args.epochs, lr=0.5)
    print(
        f"mock mode:                 test accuracy {100 * accuracy(model, x[test], y[test]):.1f} %"
    )
    model.set_mock(False)
    print(
        f"on the chip:               test accuracy {100 * accuracy(model, x[test], y[test]):.1f} %"
    )
    train(model, x[trainset][:300], y[trainset][:300], 1, lr=0.2)
    chip_accuracy = accuracy(model, x[test], y[test])
    print(f"after one chip-in-the-loop epoch: test accuracy {100 * chip_accuracy:.1f} %")

    hxtorch.release_hardware()
    return chip_accuracy


if __name__ == "__main__":
    main()
