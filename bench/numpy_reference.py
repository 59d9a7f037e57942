"""The SPEC's experiment in numpy: the book's MultiLayerNetExtend with BN, trained beside a plain net.

Usage: OPENBLAS_NUM_THREADS=1 python3 bench/numpy_reference.py --mnist DIR --seed 0 --scales 0,5,15
Prints one JSON object: {"experiments": [{"index", "scale", "plain", "batchnorm", "seconds"}]}.
"""

import argparse
import json
import os
import time

import numpy as np


def load_idx(path, header_words):
    with open(path, "rb") as f:
        data = f.read()
    return np.frombuffer(data, dtype=np.uint8, offset=4 * header_words)


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x, train):
        self.x = x
        return x.dot(self.W) + self.b

    def backward(self, dout):
        self.dW = self.x.T.dot(dout)
        self.db = dout.sum(axis=0)
        return dout.dot(self.W.T)


class Relu:
    def forward(self, x, train):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout = dout.copy()
        dout[self.mask] = 0
        return dout


class BatchNorm:
    def __init__(self, size, momentum=0.9, eps=1e-6):
        self.gamma, self.beta = np.ones(size), np.zeros(size)
        self.momentum, self.eps = momentum, eps
        self.running_mean, self.running_var = np.zeros(size), np.zeros(size)

    def forward(self, x, train):
        if train:
            mu = x.mean(axis=0)
            xc = x - mu
            var = np.mean(xc**2, axis=0)
            std = np.sqrt(var + self.eps)
            xn = xc / std
            self.n, self.xc, self.xn, self.std = x.shape[0], xc, xn, std
            m = self.momentum
            self.running_mean = m * self.running_mean + (1 - m) * mu
            self.running_var = m * self.running_var + (1 - m) * var
        else:
            xn = (x - self.running_mean) / np.sqrt(self.running_var + self.eps)
        return self.gamma * xn + self.beta

    def backward(self, dout):
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        dxc = dxn / self.std
        dstd = -np.sum((dxn * self.xc) / (self.std * self.std), axis=0)
        dvar = 0.5 * dstd / self.std
        dxc += (2.0 / self.n) * self.xc * dvar
        dmu = np.sum(dxc, axis=0)
        return dxc - dmu / self.n


class Dropout:
    def __init__(self, ratio):
        self.ratio = ratio

    def forward(self, x, train):
        if train:
            self.mask = np.random.rand(*x.shape) > self.ratio
            return x * self.mask
        return x * (1.0 - self.ratio)

    def backward(self, dout):
        return dout * self.mask


def init_scale(init, inputs):
    """weight_init_std as MultiLayerNet takes it: a number, 'relu'/'he' (He) or 'sigmoid'/'xavier' (Xavier)."""
    if init in ("he", "relu"):
        return np.sqrt(2.0 / inputs)
    if init in ("xavier", "sigmoid"):
        return np.sqrt(1.0 / inputs)
    return init


class Net:
    """common/multi_layer_net_extend.py's layers: Affine, [BatchNorm], ReLU, [Dropout]; weights drawn layer by layer."""

    def __init__(self, sizes, init, use_bn, dropout=0.0):
        self.layers, self.affines, self.bns = [], [], []
        for i in range(len(sizes) - 1):
            scale = init_scale(init, sizes[i])
            a = Affine(scale * np.random.randn(sizes[i], sizes[i + 1]), np.zeros(sizes[i + 1]))
            self.layers.append(a)
            self.affines.append(a)
            if i == len(sizes) - 2:
                break
            if use_bn:
                bn = BatchNorm(sizes[i + 1])
                self.layers.append(bn)
                self.bns.append(bn)
            self.layers.append(Relu())
            if dropout > 0:
                self.layers.append(Dropout(dropout))

    def predict(self, x, train):
        for layer in self.layers:
            x = layer.forward(x, train)
        return x

    def step(self, x, t, lr):
        y = self.predict(x, True)
        y = y - y.max(axis=1, keepdims=True)
        y = np.exp(y) / np.exp(y).sum(axis=1, keepdims=True)
        dout = y.copy()
        dout[np.arange(len(t)), t] -= 1
        dout /= len(t)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        for a in self.affines:
            a.W -= lr * a.dW
            a.b -= lr * a.db
        for bn in self.bns:
            bn.gamma -= lr * bn.dgamma
            bn.beta -= lr * bn.dbeta

    def accuracy(self, x, t):
        return float(np.sum(np.argmax(self.predict(x, False), axis=1) == t) / float(x.shape[0]))


def run(x, t, seed, scale, epochs, batch, lr, hidden):
    # seed None: go on with the stream as it is (the book's script, seeded once at its top)
    if seed is not None:
        np.random.seed(seed)
    sizes = [784] + hidden + [10]
    bn, plain = Net(sizes, scale, True), Net(sizes, scale, False)
    n = x.shape[0]
    per_epoch = max(-(-n // batch), 1)
    acc_plain, acc_bn = [], []
    i = 0
    while len(acc_plain) < epochs:
        mask = np.random.choice(n, batch)
        xb, tb = x[mask], t[mask]
        bn.step(xb, tb, lr)
        plain.step(xb, tb, lr)
        if i % per_epoch == 0:
            acc_plain.append(plain.accuracy(x, t))
            acc_bn.append(bn.accuracy(x, t))
        i += 1
    return acc_plain, acc_bn


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mnist", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scales", default=",".join(str(i) for i in range(16)))
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--train-size", type=int, default=1000)
    p.add_argument("--repeat", type=int, default=1, help="time each experiment this many times, keep the median")
    p.add_argument("--serve", action="store_true", help="read one scale index per line, answer one JSON line each")
    p.add_argument(
        "--seed-once",
        action="store_true",
        help="the book's script as written: np.random.seed(seed) once at the top, the scales one after the other",
    )
    a = p.parse_args()
    images = load_idx(os.path.join(a.mnist, "train-images-idx3-ubyte"), 4).reshape(-1, 784)[: a.train_size]
    labels = load_idx(os.path.join(a.mnist, "train-labels-idx1-ubyte"), 2)[: a.train_size].astype(np.int64)
    x = images.astype(np.float32) / np.float32(255)
    scales = np.logspace(0, -4, 16)

    if a.seed_once:
        np.random.seed(a.seed)

    def timed(index):
        start = time.perf_counter()
        seed = None if a.seed_once else a.seed
        acc_plain, acc_bn = run(x, labels, seed, float(scales[index]), a.epochs, 100, 0.01, [100] * 5)
        seconds = time.perf_counter() - start
        return {"index": index, "scale": float(scales[index]), "plain": acc_plain, "batchnorm": acc_bn, "seconds": seconds}

    if a.serve:
        # Interleaved with the other runtimes' runs by the bench, so that a slow spell of the machine
        # falls on all of them alike.
        print(json.dumps({"numpy": np.__version__}), flush=True)
        for line in iter(input_line, None):
            print(json.dumps(timed(int(line))), flush=True)
        return
    out = []
    for index in [int(s) for s in a.scales.split(",")]:
        runs = [timed(index) for _ in range(a.repeat)]
        median = sorted(r["seconds"] for r in runs)[len(runs) // 2]
        out.append({**runs[-1], "seconds": median})
    print(json.dumps({"numpy": np.__version__, "experiments": out}))


def input_line():
    try:
        return input()
    except EOFError:
        return None


if __name__ == "__main__":
    main()
