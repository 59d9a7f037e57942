"""The book's chapter 6 scripts in numpy, each seeded once at its top: the fixtures of the studies.

  optimizers   ch06/optimizer_compare_mnist.py   SGD, Momentum, AdaGrad, Adam; loss per iteration
  weightInit   ch06/weight_init_compare.py       std 0.01, Xavier, He; loss per iteration
  weightDecay  ch06/overfit_weight_decay.py      300 images, lambda 0.1; train and test accuracy per epoch
  dropout      ch06/overfit_dropout.py           300 images, Dropout 0.2, common/trainer.py's loop
  randomSearch ch06/hyperparameter_optimization.py  500 images shuffled, 100 kept for validation; per trial
                                                 10 ** uniform(-4, -8) weight decay, 10 ** uniform(-2, -6) lr

Usage: OPENBLAS_NUM_THREADS=1 python3 bench/numpy_studies.py --mnist DIR --study dropout --seed 0 [--epochs 21 ...]
Prints one JSON object: the settings, the lists ({"train", "test"} or {"loss": {name: [...]}}) and seconds.
The defaults are the scripts'; the flags shorten a run for a test fixture.
"""

import argparse
import json
import os
import time

import numpy as np

from numpy_reference import Net as ReferenceNet
from numpy_reference import load_idx


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


class Net(ReferenceNet):
    """common/multi_layer_net_extend.py with weight decay (MultiLayerNet is it without Batch Norm and Dropout)."""

    def __init__(self, sizes, init, weight_decay=0.0, dropout=0.0, use_bn=False):
        super().__init__(sizes, init, use_bn, dropout)
        self.weight_decay = weight_decay

    def loss(self, x, t, train=False):
        y = softmax(self.predict(x, train))
        decay = 0
        for a in self.affines:
            decay += 0.5 * self.weight_decay * np.sum(a.W**2)
        return -np.sum(np.log(y[np.arange(y.shape[0]), t] + 1e-7)) / y.shape[0] + decay

    def gradient(self, x, t):
        """Fills the layers' gradients and returns [(param, grad)] in the book's key order."""
        y = softmax(self.predict(x, True))
        dout = y.copy()
        dout[np.arange(len(t)), t] -= 1
        dout /= len(t)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        pairs = []
        for i, a in enumerate(self.affines):
            pairs += [(a.W, a.dW + self.weight_decay * a.W), (a.b, a.db)]
            if i < len(self.bns):
                pairs += [(self.bns[i].gamma, self.bns[i].dgamma), (self.bns[i].beta, self.bns[i].dbeta)]
        return pairs


class SGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, pairs):
        for p, g in pairs:
            p -= self.lr * g


class Momentum:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, None

    def update(self, pairs):
        if self.v is None:
            self.v = [np.zeros_like(p) for p, _ in pairs]
        for k, (p, g) in enumerate(pairs):
            self.v[k] = self.momentum * self.v[k] - self.lr * g
            p += self.v[k]


class AdaGrad:
    def __init__(self, lr=0.01):
        self.lr, self.h = lr, None

    def update(self, pairs):
        if self.h is None:
            self.h = [np.zeros_like(p) for p, _ in pairs]
        for k, (p, g) in enumerate(pairs):
            self.h[k] += g * g
            p -= self.lr * g / (np.sqrt(self.h[k]) + 1e-7)


class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr, self.beta1, self.beta2, self.iter, self.m, self.v = lr, beta1, beta2, 0, None, None

    def update(self, pairs):
        if self.m is None:
            self.m = [np.zeros_like(p) for p, _ in pairs]
            self.v = [np.zeros_like(p) for p, _ in pairs]
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2**self.iter) / (1.0 - self.beta1**self.iter)
        for k, (p, g) in enumerate(pairs):
            self.m[k] += (1 - self.beta1) * (g - self.m[k])
            self.v[k] += (1 - self.beta2) * (g**2 - self.v[k])
            p -= lr_t * self.m[k] / (np.sqrt(self.v[k]) + 1e-7)


def compare_losses(x, t, nets, optimizers, iterations, batch):
    """optimizer_compare_mnist.py and weight_init_compare.py: one batch stream, each net's loss after its update."""
    losses = {name: [] for name in nets}
    for _ in range(iterations):
        mask = np.random.choice(x.shape[0], batch)
        xb, tb = x[mask], t[mask]
        for name, net in nets.items():
            optimizers[name].update(net.gradient(xb, tb))
            losses[name].append(float(net.loss(xb, tb)))
    return {"loss": losses}


def random_search(x, t, trials, epochs, batch, sizes):
    """hyperparameter_optimization.py after its np.random.seed: shuffle_dataset, then per trial two draws and a Trainer run.

    The script slices with validation_num = x_train.shape[0] * 0.20, a float that today's numpy
    refuses as an index; int() of it is what it means (100 of 500)."""
    permutation = np.random.permutation(x.shape[0])
    x, t = x[permutation, :], t[permutation]
    validation_num = int(x.shape[0] * 0.20)
    x_val, t_val = x[:validation_num], t[:validation_num]
    x_train, t_train = x[validation_num:], t[validation_num:]
    out = []
    for _ in range(trials):
        weight_decay = 10 ** np.random.uniform(-4, -8)
        lr = 10 ** np.random.uniform(-2, -6)
        net = Net(sizes, "he", weight_decay=weight_decay)
        lists = overfit(x_train, t_train, x_val, t_val, net, SGD(lr), epochs, batch, trainer=True)
        out.append({"learningRate": lr, "weightDecay": weight_decay, "train": lists["train"], "validation": lists["test"]})
    return {"trials": out}


def overfit(x, t, xt, tt, net, optimizer, epochs, batch, trainer):
    """overfit_weight_decay.py's loop, or common/trainer.py's (trainer=True) as overfit_dropout.py runs it."""
    n = x.shape[0]
    per_epoch = max(n / batch, 1)
    train, test = [], []
    steps = int(epochs * per_epoch) if trainer else 10**9
    for i in range(steps):
        mask = np.random.choice(n, batch)
        xb, tb = x[mask], t[mask]
        optimizer.update(net.gradient(xb, tb))
        if trainer:
            net.loss(xb, tb)  # the Trainer's loss after each update: evaluation mode, no draws
        if i % per_epoch == 0:
            train.append(net.accuracy(x, t))
            test.append(net.accuracy(xt, tt) if xt.shape[0] > 0 else None)
            if not trainer and len(train) >= epochs:
                break
    out = {"train": train}
    if xt.shape[0] > 0:
        out["test"] = test
    return out


DEFAULTS = {
    "optimizers": {"train_size": 60000, "batch_size": 128, "iterations": 2000, "hidden": [100] * 4},
    "weightInit": {"train_size": 60000, "batch_size": 128, "iterations": 2000, "hidden": [100] * 4, "lr": 0.01},
    "weightDecay": {"train_size": 300, "test_size": 10000, "batch_size": 100, "epochs": 201, "hidden": [100] * 6, "lr": 0.01, "weight_decay": 0.1},
    "dropout": {"train_size": 300, "test_size": 10000, "batch_size": 100, "epochs": 301, "hidden": [100] * 6, "lr": 0.01, "dropout": 0.2},
    "randomSearch": {"train_size": 500, "batch_size": 100, "epochs": 50, "hidden": [100] * 6, "trials": 100},
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mnist", required=True)
    p.add_argument("--study", required=True, choices=sorted(DEFAULTS))
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--train-size", type=int)
    p.add_argument("--test-size", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--epochs", type=int)
    p.add_argument("--iterations", type=int)
    p.add_argument("--hidden", type=lambda s: [int(h) for h in s.split(",")])
    p.add_argument("--lr", type=float)
    p.add_argument("--weight-decay", type=float)
    p.add_argument("--dropout", type=float)
    p.add_argument("--trials", type=int)
    a = p.parse_args()
    s = dict(DEFAULTS[a.study])
    for key in ["train_size", "test_size", "batch_size", "epochs", "iterations", "hidden", "lr", "weight_decay", "dropout", "trials"]:
        if getattr(a, key) is not None:
            s[key] = getattr(a, key)

    def images(name, count):
        return (load_idx(os.path.join(a.mnist, name), 4).reshape(-1, 784)[:count]).astype(np.float32) / np.float32(255)

    def labels(name, count):
        return load_idx(os.path.join(a.mnist, name), 2)[:count].astype(np.int64)

    x, t = images("train-images-idx3-ubyte", s["train_size"]), labels("train-labels-idx1-ubyte", s["train_size"])
    test_size = s.get("test_size", 0)
    xt, tt = images("t10k-images-idx3-ubyte", test_size), labels("t10k-labels-idx1-ubyte", test_size)

    start = time.perf_counter()
    np.random.seed(a.seed)
    sizes = [784] + s["hidden"] + [10]
    if a.study == "optimizers":
        kinds = {"sgd": SGD, "momentum": Momentum, "adagrad": AdaGrad, "adam": Adam}
        nets = {name: Net(sizes, "he") for name in kinds}
        lists = compare_losses(x, t, nets, {name: kind() for name, kind in kinds.items()}, s["iterations"], s["batch_size"])
    elif a.study == "weightInit":
        inits = {"std0.01": 0.01, "xavier": "xavier", "he": "he"}
        nets = {name: Net(sizes, init) for name, init in inits.items()}
        sgd = SGD(s["lr"])
        lists = compare_losses(x, t, nets, {name: sgd for name in inits}, s["iterations"], s["batch_size"])
    elif a.study == "randomSearch":
        lists = random_search(x, t, s["trials"], s["epochs"], s["batch_size"], sizes)
    else:
        net = Net(sizes, "he", weight_decay=s.get("weight_decay", 0.0), dropout=s.get("dropout", 0.0))
        lists = overfit(x, t, xt, tt, net, SGD(s["lr"]), s["epochs"], s["batch_size"], trainer=a.study == "dropout")
    seconds = time.perf_counter() - start
    print(json.dumps({"numpy": np.__version__, "study": a.study, "seed": a.seed, "settings": s, **lists, "seconds": seconds}))


if __name__ == "__main__":
    main()
