"""Data sets that ship with minigrad (the UCI 8×8 digits, procedural shapes), a loader for MNIST
IDX files you already have, and `batches`, the mini-batch iterator. Images are (n, h, w, c)."""

import gzip
import math
import numbers
import os
import zlib
from pathlib import Path

import numpy as np

from minigrad.ops.shape import is_int, tensor_input

DATASETS = Path(__file__).parent / "datasets"


def load_digits():
    """The UCI optical-recognition handwritten digits: 1 797 images of 8×8 pixels, 10 classes.

    Returns (X_train, y_train), (X_test, y_test): X float32 (n, 8, 8, 1) in [0, 1] (the
    original counts 0…16 divided by 16), y int64 in 0…9. The split is fixed: every fourth
    image (index 0, 4, 8, …) is a test image (450), the rest train (1 347). Source and
    licence (CC BY 4.0): minigrad/datasets/README.md.

    >>> (X_train, y_train), (X_test, y_test) = load_digits()
    >>> X_train.shape, X_test.shape, y_train.dtype
    ((1347, 8, 8, 1), (450, 8, 8, 1), dtype('int64'))
    """
    with np.load(DATASETS / "digits.npz") as archive:
        images, labels = archive["images"], archive["labels"]
    X = (images.astype(np.float32) / 16.0)[..., None]  # (1797, 8, 8, 1)
    y = labels.astype(np.int64)
    test = np.arange(len(y)) % 4 == 0
    return (X[~test], y[~test]), (X[test], y[test])


SHAPES = {
    "plus": [[0, 1, 0], [1, 1, 1], [0, 1, 0]],
    "cross": [[1, 0, 1], [0, 1, 0], [1, 0, 1]],
    "square": [[1, 1, 1], [1, 0, 1], [1, 1, 1]],
    "corner": [[1, 1, 1], [1, 0, 0], [1, 0, 0]],
}
"""The 3×3 patterns of `load_shapes`; class i is the i-th name."""


def shape_region(region, size):
    """The ranges of top-left corners (rows, columns), inclusive, for a named region or pairs.

    "left"/"right" halve the columns, "top"/"bottom" the rows, "anywhere" uses the whole
    image; or give ((row_min, row_max), (col_min, col_max)) yourself.

    >>> shape_region("left", 12)
    ((0, 9), (0, 3))
    """
    if not is_int(size) or size < 6:
        raise ValueError(
            f"load_shapes: size must be an int ≥ 6 (the image is size × size, and two 3×3 "
            f"regions must fit side by side); got {size!r}."
        )
    last = size - 3  # the largest top-left coordinate of a 3×3 pattern
    half = size // 2
    named = {
        "anywhere": ((0, last), (0, last)),
        "left": ((0, last), (0, half - 3)),
        "right": ((0, last), (half, last)),
        "top": ((0, half - 3), (0, last)),
        "bottom": ((half, last), (0, last)),
    }
    if isinstance(region, str):
        if region not in named:
            raise ValueError(
                f"load_shapes: region must be one of {sorted(named)} or ((row_min, row_max), "
                f"(col_min, col_max)); got {region!r}."
            )
        return named[region]
    if not _is_pair_of_int_pairs(region):  # unpacking would fail, or round 0.5 down, silently
        raise ValueError(
            f"load_shapes: a region is a name ({', '.join(map(repr, named))}) or a pair of "
            f"int ranges ((row_min, row_max), (col_min, col_max)); got {region!r}."
        )
    (r0, r1), (c0, c1) = region
    if not (0 <= r0 <= r1 <= last and 0 <= c0 <= c1 <= last):
        raise ValueError(
            f"load_shapes: region {region} must give top-left corners within 0 … {last} "
            f"(a 3×3 pattern in a {size}×{size} image), with min ≤ max."
        )
    return (int(r0), int(r1)), (int(c0), int(c1))


def _is_pair_of_int_pairs(region):
    return (
        isinstance(region, (tuple, list))
        and len(region) == 2
        and all(isinstance(pair, (tuple, list)) and len(pair) == 2 for pair in region)
        and all(is_int(value) for pair in region for value in pair)
    )


def _draw_shapes(n, size, region, noise, seed):
    rng = np.random.default_rng(seed)
    (r0, r1), (c0, c1) = region
    patterns = np.array(list(SHAPES.values()), dtype=np.float32)  # (classes, 3, 3)
    y = rng.integers(0, len(patterns), size=n)
    rows = rng.integers(r0, r1 + 1, size=n)
    columns = rng.integers(c0, c1 + 1, size=n)
    X = rng.uniform(0, noise, size=(n, size, size)).astype(np.float32)
    for i in range(n):
        X[i, rows[i] : rows[i] + 3, columns[i] : columns[i] + 3] += patterns[y[i]]
    return np.clip(X, 0, 1)[..., None], y.astype(np.int64)  # (n, size, size, 1)


def load_shapes(
    n_train=800,
    n_test=400,
    size=12,
    train_region="left",
    test_region="right",
    noise=0.1,
    seed=0,
):
    """Procedural images (size, size, 1) of 3×3 patterns (`SHAPES`: plus, cross, square,
    corner) on faint noise: for translation equivariance, train with the pattern in one region
    and test with it in another (see `shape_region`). Returns (X_train, y_train), (X_test,
    y_test), X float32 in [0, 1], y int64.

    Seeded (`seed`: an int ≥ 0, a numpy Generator, which it draws from, or None for fresh
    entropy): the two sets come from independent streams of `seed`, so the test set depends
    only on (n_test, size, test_region, noise, seed) and the training set only on (n_train,
    size, train_region, noise, seed). Training on fewer images (a smaller n_train) leaves the
    test images as they were.

    >>> (X, y), (X_test, y_test) = load_shapes(n_train=10, n_test=5)
    >>> X.shape, X_test.shape, sorted(set(y.tolist())) <= [0, 1, 2, 3]
    ((10, 12, 12, 1), (5, 12, 12, 1), True)
    """
    for argument, count in (("n_train", n_train), ("n_test", n_test)):
        if not is_int(count) or count < 0:
            raise ValueError(
                f"load_shapes: {argument} must be an int ≥ 0 (a number of images); got {count!r}."
            )
    # The patterns' pixels are 1 and the background is uniform in [0, noise): noise ≥ 1 would
    # hide them, a negative one is meaningless.
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not 0 <= noise < 1:
        raise ValueError(
            f"load_shapes: noise must be a number in [0, 1) (the background's largest value; "
            f"the patterns are 1); got {noise!r}."
        )
    train_region = shape_region(train_region, size)  # checks size and the regions first
    test_region = shape_region(test_region, size)
    train_seed, test_seed = _seed_sequence("load_shapes", seed).spawn(2)  # independent streams
    train = _draw_shapes(n_train, size, train_region, noise, train_seed)
    test = _draw_shapes(n_test, size, test_region, noise, test_seed)
    return train, test


def _seed_sequence(caller, seed):
    """`seed` (an int ≥ 0, a numpy Generator or None) as a SeedSequence, whose spawn() gives
    independent streams, or an error naming `caller`. A Generator is drawn from, so it moves on
    as it would if used."""
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(seed.integers(2**63, size=4).tolist())
    if seed is not None and not is_int(seed):
        raise TypeError(
            f"{caller}: seed must be an int, a numpy Generator (np.random.default_rng(0)) or "
            f"None; got {type(seed).__name__}."
        )
    if seed is not None and seed < 0:
        raise ValueError(
            f"{caller}: seed must be an int ≥ 0 (numpy's seeds cannot be negative), a numpy "
            f"Generator or None; got {seed}."
        )
    return np.random.SeedSequence(None if seed is None else int(seed))


def check_seed(caller, seed):
    """`seed` as a numpy Generator: a Generator as it is; an int ≥ 0 or None (fresh entropy)
    seeds a new one, with the same stream as np.random.default_rng(seed). Anything else is an
    error naming `caller`.

    >>> int(check_seed("batches", 0).integers(100)), int(np.random.default_rng(0).integers(100))
    (85, 85)
    """
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(_seed_sequence(caller, seed))


def validation_split(X, y, every=10):
    """(X_train, y_train), (X_val, y_val): every `every`-th example (index every − 1, 2·every
    − 1, …) held out for validation. Spread over the set like the test split (every fourth
    digit), so it has the same mix of writers; the last 10 % would be a few writers only.
    X and y (arrays or lists) need one row per example, and at least `every` of them, so that
    one is held out (ValueError otherwise).

    >>> import numpy as np
    >>> (X, y), (X_val, y_val) = validation_split(np.zeros((20, 2)), np.arange(20))
    >>> len(y), y_val.tolist()
    (18, [9, 19])
    """
    if not is_int(every) or every < 2:
        raise ValueError(
            f"validation_split: every must be an int ≥ 2 (every = 10 holds out 10 %); got "
            f"{every!r}."
        )
    X, y = check_examples("validation_split", X, y)
    if len(X) < every:  # (with every ≥ 2, at least half of the examples are left to train on)
        raise ValueError(
            f"validation_split: X holds {len(X)} examples, fewer than every={every}, so none "
            f"would be held out for validation (one in {every} is). Pass a smaller every "
            "(every=2 holds out half) or more examples."
        )
    held_out = np.arange(len(X)) % every == every - 1
    return (X[~held_out], y[~held_out]), (X[held_out], y[held_out])


def batches(X, y, batch_size, shuffle=True, seed=None):
    """Mini-batches (X_batch as a Tensor, y_batch as a numpy array) covering X once.

    With shuffle, the order is a permutation drawn from `seed` (an int ≥ 0, a numpy Generator,
    which it draws from, or None for fresh entropy); a bad seed is refused at the call.
    The last batch is smaller when batch_size does not divide n.

    >>> X, y = np.zeros((5, 2), dtype=np.float32), np.arange(5)
    >>> [yb.tolist() for _, yb in batches(X, y, 2, shuffle=False)]
    [[0, 1], [2, 3], [4]]
    """
    X, y = check_examples("batches", X, y, batch_size, allow_empty=True)
    order = np.arange(len(X))
    if shuffle:
        order = check_seed("batches", seed).permutation(len(X))
    return _batches(X, y, order, batch_size)  # checked now, not at the first next()


def _batches(X, y, order, batch_size):
    for start in range(0, len(X), batch_size):
        index = order[start : start + batch_size]
        # X[index] with an array of indices is a new array, the batch's own: wrapped as it is
        # (ops' tensor_input), not copied again as Tensor(...) would.
        yield tensor_input(X[index]), y[index]


def check_examples(caller, X, y, batch_size=None, allow_empty=False):
    """X and y as arrays with one row per example, or a ValueError naming `caller`; also checks
    that batch_size (unless None) is an int ≥ 1 and, unless `allow_empty`, that there is an
    example."""
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0:
        raise ValueError(
            f"{caller}: X and y must be arrays with one row per example; got shapes {X.shape} "
            f"and {y.shape}."
        )
    if len(X) != len(y):
        raise ValueError(
            f"{caller}: X and y need one row per example; got {len(X)} images and {len(y)} labels."
        )
    if y.dtype.kind not in "biuf":  # (class names, or labels read from a file as text)
        raise TypeError(
            f"{caller}: y must hold numbers, class labels 0 … k − 1 (or targets); got dtype "
            f"{y.dtype}. Number class names first: names, y = np.unique(y, return_inverse=True) "
            "(names[i] is the name of class i)."
        )
    if X.dtype.kind not in "biuf":
        raise TypeError(
            f"{caller}: X must hold numbers; got dtype {X.dtype}. Convert it: "
            "np.asarray(X, dtype=np.float32)."
        )
    if len(X) == 0 and not allow_empty:
        raise ValueError(f"{caller}: X holds no examples (shape {X.shape}).")
    if batch_size is not None and (not is_int(batch_size) or batch_size < 1):
        raise ValueError(f"{caller}: batch_size must be an int ≥ 1; got {batch_size!r}.")
    return X, y


MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

IDX_TYPES = {
    0x09: "signed bytes",
    0x0B: "int16",
    0x0C: "int32",
    0x0D: "float32",
    0x0E: "float64",
}
"""The IDX type codes other than 0x08 (unsigned bytes, the one read_idx reads), by name."""


def read_idx(path):
    """The array stored in one IDX file (the MNIST format), plain or gzipped (told by the
    content, the bytes 1f 8b that start a gzip file, not by a .gz in the name).

    Header: two zero bytes, a type code (0x08 = unsigned byte), the number of axes d, then d
    big-endian int32 sizes; the data follow in row-major order.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "tiny-idx1-ubyte"
    >>> _ = path.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]))
    >>> read_idx(path)
    array([7, 8, 9], dtype=uint8)
    """
    path = Path(path)
    raw = path.read_bytes()
    gzipped = raw[:2] == b"\x1f\x8b"
    if gzipped:
        try:
            raw = gzip.decompress(raw)
        except (EOFError, gzip.BadGzipFile, zlib.error) as error:
            raise ValueError(
                f"read_idx: {path} is not a complete gzip file ({error}); it is truncated or "
                "corrupt. Download it again, or unpack it and pass the unpacked file."
            ) from None
    if len(raw) >= 4 and raw[:2] == b"\x00\x00" and raw[2] in IDX_TYPES:
        raise ValueError(
            f"read_idx: {path} is an IDX file of {IDX_TYPES[raw[2]]} (type code 0x{raw[2]:02X}); "
            "read_idx reads unsigned bytes only (0x08, as in MNIST, Fashion-MNIST and EMNIST)."
        )
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        misnamed = path.suffix == ".gz" and not gzipped
        raise ValueError(
            f"read_idx: {path} is not an IDX file of unsigned bytes: it should start with 0x00 "
            "0x00 0x08 (or 0x1f 0x8b if gzipped)"
            + ("; its name ends in .gz, but it is not gzip-compressed" if misnamed else "")
            + ". Is it an MNIST file, and not an HTML error page?"
        )
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(
            f"read_idx: {path} ends inside its header ({len(raw)} bytes; {ndim} axes need "
            f"{4 + 4 * ndim}); the file is truncated or corrupt."
        )
    shape = tuple(int(n) for n in np.frombuffer(raw, dtype=">i4", count=ndim, offset=4))
    if any(n < 0 for n in shape):
        raise ValueError(
            f"read_idx: {path} declares shape {shape}, with a negative size; its header is "
            "corrupt. Download it again."
        )
    count = math.prod(shape)  # exact: np.prod would wrap around past 2**63 in a corrupt header
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size > count:
        raise ValueError(
            f"read_idx: {path} declares shape {shape} ({count} values) but has "
            f"{data.size - count} extra bytes after them; it is not a single IDX "
            "file as written (two files joined, or a wrong header). Download it again."
        )
    if data.size < count:
        raise ValueError(
            f"read_idx: {path} declares shape {shape} ({count} values) but holds "
            f"{data.size}; the file is truncated or corrupt."
        )
    return data.reshape(shape)


def _find(directory, name):
    """The file `name` in `directory`: as named, gzipped (.gz), or with the dot that some copies
    (Kaggle's) have before idx: train-images.idx3-ubyte."""
    dotted = name.replace("-idx", ".idx")
    for candidate in (name, name + ".gz", dotted, dotted + ".gz"):
        if (directory / candidate).exists():
            return directory / candidate
    raise FileNotFoundError(
        f"load_mnist: {name} (or {name}.gz, or {dotted}) is missing from {directory}. The folder "
        "needs the four MNIST IDX files: train-images-idx3-ubyte, train-labels-idx1-ubyte, "
        "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (minigrad does not download them)."
    )


def load_mnist(path):
    """MNIST from the four IDX files in the folder `path` (plain or .gz; nothing is downloaded;
    a leading ~ is your home folder, as in a shell).

    Returns (X_train, y_train), (X_test, y_test): X float32 (n, 28, 28, 1) in [0, 1], y int64.

    >>> load_mnist("no-such-folder")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    FileNotFoundError: load_mnist: folder no-such-folder does not exist. Download the four MNIST ...
    """
    directory = Path(os.path.expanduser(path))  # (a "~name" of no user is left as written)
    if directory.is_file():
        raise NotADirectoryError(
            f"load_mnist: {directory} is a file; pass the folder that holds the four MNIST IDX "
            "files (train-images-idx3-ubyte, …)."
        )
    if not directory.is_dir():
        raise FileNotFoundError(
            f"load_mnist: folder {directory} does not exist. Download the four MNIST IDX files "
            "(train-images-idx3-ubyte, …) into one folder and pass its path."
        )
    result = []
    for images_name, labels_name in MNIST_FILES.values():
        images_path = _find(directory, images_name)
        images = read_idx(images_path)
        labels_path = _find(directory, labels_name)
        labels = read_idx(labels_path)
        if images.ndim != 3 or labels.shape != images.shape[:1]:
            raise ValueError(
                f"load_mnist: {images_path.name} has shape {images.shape} and {labels_path.name} "
                f"{labels.shape}; expected (n, h, w) images and (n,) labels."
            )
        X = (images.astype(np.float32) / 255.0)[..., None]  # (n, h, w, 1)
        result.append((X, labels.astype(np.int64)))
    return tuple(result)
