"""Tests of the embedded digits, the procedural shapes, batches and the MNIST IDX loader."""

import gzip
import zlib

import numpy as np
import pytest

import minigrad as mg
from minigrad import data


def test_digits_shapes_types_range_and_split():
    (X, y), (X_test, y_test) = data.load_digits()
    assert X.shape == (1347, 8, 8, 1) and X_test.shape == (450, 8, 8, 1)
    assert X.dtype == np.float32 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert set(y.tolist()) == set(range(10)) == set(y_test.tolist())
    assert np.bincount(y_test).min() >= 35  # every class in the test set
    _, (X_test2, _) = data.load_digits()
    np.testing.assert_array_equal(X_test, X_test2)  # fixed split
    np.testing.assert_array_equal(y_test[:3], [0, 4, 8])  # images 0, 4, 8 of the UCI file


def test_shapes_are_seeded_and_placed_in_their_regions():
    (X, y), (X_test, _) = data.load_shapes(n_train=50, n_test=30, seed=3)
    (X2, _), _ = data.load_shapes(n_train=50, n_test=30, seed=3)
    np.testing.assert_array_equal(X, X2)
    assert X.shape == (50, 12, 12, 1) and y.dtype == np.int64 and X.dtype == np.float32
    assert 0 <= X.min() and X.max() <= 1
    # Patterns (values > noise) sit in the left columns for training, the right ones for testing.
    assert (X[:, :, 6:, 0] > 0.5).sum() == 0 and (X[:, :, :6, 0] > 0.5).any()
    assert (X_test[:, :, :6, 0] > 0.5).sum() == 0
    pattern = np.array(data.SHAPES["plus"])
    (X1, y1), _ = data.load_shapes(n_train=20, n_test=1, noise=0.0, train_region=((2, 2), (4, 4)))
    first_plus = int(np.argmax(y1 == 0))
    np.testing.assert_array_equal(X1[first_plus, 2:5, 4:7, 0], pattern)


def test_shapes_train_and_test_sets_come_from_independent_streams():
    # Training on fewer examples must not change the images a student is evaluated on.
    _, (X_test, y_test) = data.load_shapes(n_train=200, n_test=40, seed=4)
    (X_few, y_few), (X_test_few, y_test_few) = data.load_shapes(n_train=20, n_test=40, seed=4)
    np.testing.assert_array_equal(X_test, X_test_few)
    np.testing.assert_array_equal(y_test, y_test_few)
    # Likewise the training set does not depend on the test set's settings.
    (X_same, y_same), _ = data.load_shapes(n_train=20, n_test=3, test_region="top", seed=4)
    np.testing.assert_array_equal(X_few, X_same)
    np.testing.assert_array_equal(y_few, y_same)
    # Two streams, not one seed used twice: same region and size still give other images.
    (X_left, _), (X_left_test, _) = data.load_shapes(20, 20, test_region="left", seed=4)
    assert not np.array_equal(X_left, X_left_test)
    _, (X_other_seed, _) = data.load_shapes(n_train=200, n_test=40, seed=5)
    assert not np.array_equal(X_test, X_other_seed)


def test_shapes_seed_may_be_a_generator_as_everywhere_else():
    first = data.load_shapes(n_train=5, n_test=5, seed=np.random.default_rng(7))
    again = data.load_shapes(n_train=5, n_test=5, seed=np.random.default_rng(7))
    np.testing.assert_array_equal(first[0][0], again[0][0])
    np.testing.assert_array_equal(first[1][0], again[1][0])
    rng = np.random.default_rng(7)
    data.load_shapes(n_train=5, n_test=5, seed=rng)
    later = data.load_shapes(n_train=5, n_test=5, seed=rng)  # the generator moved on
    assert not np.array_equal(first[0][0], later[0][0])
    for bad in ("0", 1.5, True):
        with pytest.raises(TypeError, match=r"load_shapes: seed must be an int, a numpy Gen"):
            data.load_shapes(n_train=2, n_test=2, seed=bad)
    with pytest.raises(ValueError, match=r"load_shapes: seed must be an int ≥ 0 .*got -1\."):
        data.load_shapes(n_train=2, n_test=2, seed=-1)


def test_shape_regions_and_errors():
    assert data.shape_region("anywhere", 10) == ((0, 7), (0, 7))
    assert data.shape_region("bottom", 12) == ((6, 9), (0, 9))
    with pytest.raises(ValueError, match="region must be one of"):
        data.load_shapes(train_region="middle")
    with pytest.raises(ValueError, match="top-left corners within 0 … 9"):
        data.load_shapes(train_region=((0, 10), (0, 3)))
    with pytest.raises(ValueError, match="size must be an int ≥ 6"):
        data.load_shapes(size=5)


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"n_train": -1}, r"n_train must be an int ≥ 0 \(a number of images\); got -1\."),
        ({"n_test": 2.5}, r"n_test must be an int ≥ 0 .*got 2\.5\."),
        ({"n_test": "10"}, r"n_test must be an int ≥ 0 .*got '10'\."),
        ({"size": 12.0}, r"size must be an int ≥ 6 .*got 12\.0\."),
        ({"noise": -0.1}, r"noise must be a number in \[0, 1\) .*got -0\.1\."),
        ({"noise": 1.0}, r"noise must be a number in \[0, 1\) .*the patterns are 1\); got 1\.0"),
        ({"noise": "0.1"}, r"noise must be a number in \[0, 1\)"),
        ({"train_region": (0, 3)}, r"a region is a name \('anywhere', 'left'.*got \(0, 3\)\."),
        ({"test_region": None}, r"a region is a name .*got None\."),
        ({"train_region": ((0.5, 3), (0, 3))}, r"a region is .* int ranges .*got \(\(0\.5, 3\)"),
        ({"train_region": ((0, True), (0, 3))}, r"a region is .* int ranges"),
    ],
    ids=lambda value: (
        "-".join(f"{k}={v!r}" for k, v in value.items()) if isinstance(value, dict) else ""
    ),
)
def test_shapes_refuse_bad_settings_in_their_own_words(settings, message):
    # Each of these failed inside numpy ("negative dimensions are not allowed", "cannot unpack
    # non-iterable int object") or was taken silently (0.5 rounded down; noise 1 hides patterns).
    with pytest.raises(ValueError, match=rf"^load_shapes: {message}"):
        data.load_shapes(**{"n_train": 4, "n_test": 4, **settings})


def test_shape_region_checks_the_size_itself():
    # Public on its own: shape_region("left", 5) gave the empty column range (0, -1).
    with pytest.raises(ValueError, match=r"size must be an int ≥ 6 .*got 5\."):
        data.shape_region("left", 5)
    assert data.shape_region([[1, 2], [3, 4]], 12) == ((1, 2), (3, 4))


def test_batches_cover_everything_once_and_are_seeded():
    X, y = np.arange(10, dtype=np.float32).reshape(10, 1), np.arange(10)
    seen = [yb for _, yb in data.batches(X, y, 3, seed=1)]
    assert [len(b) for b in seen] == [3, 3, 3, 1]
    assert sorted(np.concatenate(seen).tolist()) == list(range(10))
    again = [yb for _, yb in data.batches(X, y, 3, seed=1)]
    assert all(np.array_equal(a, b) for a, b in zip(seen, again))
    xb, yb = next(data.batches(X, y, 4, shuffle=False))
    assert isinstance(xb, mg.Tensor) and xb.data[:, 0].tolist() == yb.tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="10 images and 9 labels"):
        data.batches(X, y[:9], 3)  # at the call, not at the first next()
    for size in (0, True, 2.0):
        with pytest.raises(ValueError, match="batch_size must be an int ≥ 1"):
            data.batches(X, y, size)
    assert list(data.batches(X[:0], y[:0], 3)) == []
    xb, _ = next(data.batches(X, y, 4, shuffle=False))
    xb.data += 100  # a batch is its own memory: training on it never changes X
    assert X[:4, 0].tolist() == [0, 1, 2, 3]
    ints = next(data.batches(np.arange(4).reshape(4, 1), y[:4], 2))[0]
    assert ints.dtype == np.float32  # integer images become float32, as in Tensor(...)


def test_batches_refuse_a_bad_seed_in_their_own_words():
    X, y = np.zeros((6, 1), dtype=np.float32), np.arange(6)
    for bad, error in ((-1, ValueError), (1.5, TypeError), ("0", TypeError), (True, TypeError)):
        with pytest.raises(error, match=r"batches: seed must be an int"):
            data.batches(X, y, 2, seed=bad)
    by_int = [yb.tolist() for _, yb in data.batches(X, y, 2, seed=3)]
    by_generator = [yb.tolist() for _, yb in data.batches(X, y, 2, seed=np.random.default_rng(3))]
    assert by_int == by_generator  # an int seed and a Generator made from it: the same order
    assert len(list(data.batches(X, y, 2, shuffle=False, seed=-1))) == 3  # unused: not checked


def test_validation_split_checks_its_examples_like_fit():
    with pytest.raises(ValueError, match="validation_split: .*got 5 images and 4 labels"):
        data.validation_split(np.zeros((5, 2)), np.arange(4))
    (X, y), (_, y_val) = data.validation_split([[0.0]] * 4, [0, 1, 2, 3], every=2)
    assert X.tolist() == [[0.0], [0.0]] and y.tolist() == [0, 2] and y_val.tolist() == [1, 3]
    with pytest.raises(ValueError, match=r"validation_split: X holds 7 examples.*every=10"):
        data.validation_split(np.zeros((7, 2)), np.arange(7))  # nothing would be held out
    with pytest.raises(ValueError, match="validation_split: X holds no examples"):
        data.validation_split(np.zeros((0, 2)), np.arange(0))


@pytest.mark.parametrize("every", [0, 1, 2.5, True])
def test_validation_split_refuses_a_step_that_holds_out_nothing_or_everything(every):
    with pytest.raises(ValueError, match="validation_split: every must be an int ≥ 2"):
        data.validation_split(np.zeros((20, 2)), np.arange(20), every=every)


def _deflate_error(whole):
    """`whole` (gzip bytes) with one byte flipped where zlib itself fails (not the CRC check)."""
    for position in range(10, len(whole) - 8):
        damaged = bytearray(whole)
        damaged[position] ^= 0xFF
        try:
            gzip.decompress(bytes(damaged))
        except zlib.error:
            return bytes(damaged)
        except (OSError, EOFError):
            continue
    raise AssertionError("no single flipped byte makes zlib fail")


def write_idx(path, array, compress=False):
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">i4").tobytes()
    raw = header + array.astype(np.uint8).tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        raw = gzip.compress(raw)
    path.write_bytes(raw)


def tiny_mnist(folder, compress=False):
    """Write MNIST's four files with random 4×3 (non-square) images; returns what was written,
    {"train": (images, labels), "t10k": (images, labels)}."""
    rng = np.random.default_rng(0)
    written = {}
    for prefix, n in (("train", 5), ("t10k", 3)):
        images, labels = rng.integers(0, 256, (n, 4, 3)), rng.integers(0, 10, n)
        write_idx(folder / f"{prefix}-images-idx3-ubyte", images, compress)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", labels, compress)
        written[prefix] = images, labels
    return written


@pytest.mark.parametrize("compress", [False, True])
def test_load_mnist_from_tiny_idx_files(tmp_path, compress):
    written = tiny_mnist(tmp_path, compress)
    (X, y), (X_test, y_test) = data.load_mnist(tmp_path)
    assert X.shape == (5, 4, 3, 1) and X_test.shape == (3, 4, 3, 1) and y.shape == (5,)
    assert X.dtype == np.float32 and y.dtype == np.int64
    for (images, labels), (X_part, y_part) in zip(written.values(), ((X, y), (X_test, y_test))):
        np.testing.assert_allclose(X_part[..., 0], images / 255, rtol=1e-6)  # pixels in place
        np.testing.assert_array_equal(y_part, labels)


@pytest.mark.parametrize("compress", [False, True])
def test_load_mnist_finds_the_dotted_names_of_some_copies(tmp_path, compress):
    """Kaggle's copies name the files train-images.idx3-ubyte (a dot before idx)."""
    written = tiny_mnist(tmp_path, compress)
    for path in list(tmp_path.iterdir()):
        path.rename(path.with_name(path.name.replace("-idx", ".idx")))
    (X, y), _ = data.load_mnist(tmp_path)
    np.testing.assert_allclose(X[..., 0], written["train"][0] / 255, rtol=1e-6)
    np.testing.assert_array_equal(y, written["train"][1])


def test_load_mnist_names_the_files_it_read_when_their_shapes_differ(tmp_path):
    tiny_mnist(tmp_path, compress=True)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(4, dtype=np.uint8), compress=True)
    with pytest.raises(
        ValueError,
        match=r"train-images-idx3-ubyte\.gz has shape \(5, 4, 3\) and "
        r"train-labels-idx1-ubyte\.gz \(4,\)",
    ):
        data.load_mnist(tmp_path)


def test_load_mnist_expands_a_leading_tilde_to_the_home_folder(tmp_path, monkeypatch):
    """A path "~/mnist" was taken literally (a folder ~ in the working folder): "does not exist"."""
    tiny_mnist(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path.parent))
    monkeypatch.setenv("USERPROFILE", str(tmp_path.parent))  # Windows
    (X, _), _ = data.load_mnist(f"~/{tmp_path.name}")
    assert X.shape == (5, 4, 3, 1)


def test_load_mnist_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="folder .*nowhere does not exist"):
        data.load_mnist(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte .* is missing"):
        data.load_mnist(tmp_path)
    (tmp_path / "train-images-idx3-ubyte").write_text("<html>not found</html>")
    with pytest.raises(ValueError, match="not an IDX file"):
        data.load_mnist(tmp_path)
    write_idx(tmp_path / "bad", np.zeros((2, 3), dtype=np.uint8))
    (tmp_path / "bad").write_bytes((tmp_path / "bad").read_bytes()[:-2])
    with pytest.raises(ValueError, match="truncated"):
        data.read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(bytes([0, 0, 8, 3, 0, 0]))  # cut inside the header
    with pytest.raises(ValueError, match=r"short ends inside its header \(6 bytes; 3 axes need 16"):
        data.read_idx(tmp_path / "short")
    whole = gzip.compress((tmp_path / "bad").read_bytes())
    (tmp_path / "cut.gz").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "damaged.gz").write_bytes(_deflate_error(gzip.compress(bytes(range(256)) * 8)))
    for name in ("cut.gz", "damaged.gz"):
        with pytest.raises(ValueError, match=rf"{name} is not a complete gzip file .*truncated"):
            data.read_idx(tmp_path / name)
    (tmp_path / "plain.gz").write_bytes(b"not gzip at all")
    with pytest.raises(
        ValueError, match=r"plain.gz is not an IDX file .*but it is not gzip-compressed"
    ):
        data.read_idx(tmp_path / "plain.gz")
    with pytest.raises(NotADirectoryError, match="short is a file; pass the folder"):
        data.load_mnist(tmp_path / "short")


def test_read_idx_tells_gzip_by_its_content_not_its_name(tmp_path):
    raw = bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9])
    (tmp_path / "gzipped-idx1-ubyte").write_bytes(gzip.compress(raw))  # no .gz in the name
    (tmp_path / "plain-idx1-ubyte.gz").write_bytes(raw)  # .gz in the name, not compressed
    for name in ("gzipped-idx1-ubyte", "plain-idx1-ubyte.gz"):
        assert data.read_idx(tmp_path / name).tolist() == [7, 8, 9]


def test_read_idx_counts_extra_bytes_instead_of_calling_the_file_truncated(tmp_path):
    raw = bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9])
    (tmp_path / "long").write_bytes(raw + b"xy")
    with pytest.raises(
        ValueError, match=r"long declares shape \(3,\) .* but has 2 extra bytes"
    ) as info:
        data.read_idx(tmp_path / "long")
    assert "truncated" not in str(info.value)


def test_validation_split_of_exactly_every_examples_holds_out_the_last():
    (X, y), (X_val, y_val) = data.validation_split(np.zeros((10, 2)), np.arange(10), every=10)
    assert y_val.tolist() == [9] and y.tolist() == list(range(9))
    assert X.shape == (9, 2) and X_val.shape == (1, 2)


@pytest.mark.parametrize(
    "code, name, values",
    [(0x09, "signed bytes", b"\xff\x01"), (0x0B, "int16", b"\x00\x01\x00\x02")],
)
def test_read_idx_names_the_type_code_of_an_idx_file_it_does_not_read(tmp_path, code, name, values):
    # A valid IDX file of another type was called "not an IDX file … not an HTML error page?".
    (tmp_path / "other-idx1").write_bytes(bytes([0, 0, code, 1, 0, 0, 0, 2]) + values)
    with pytest.raises(ValueError, match=rf"other-idx1 is an IDX file of {name} \(type code 0x0"):
        data.read_idx(tmp_path / "other-idx1")


def test_read_idx_calls_a_negative_or_huge_size_a_corrupt_header(tmp_path):
    header = bytes([0, 0, 8, 2]) + np.array([-1, 3], dtype=">i4").tobytes()
    (tmp_path / "negative").write_bytes(header + bytes(6))  # was "(-3 values) … 9 extra bytes"
    with pytest.raises(ValueError, match=r"negative declares shape \(-1, 3\), with a negative"):
        data.read_idx(tmp_path / "negative")
    huge = bytes([0, 0, 8, 4]) + np.array([2**31 - 1] * 4, dtype=">i4").tobytes()
    (tmp_path / "huge").write_bytes(huge + bytes(10))  # np.prod wrapped the count around
    with pytest.raises(ValueError, match=rf"\({(2**31 - 1) ** 4} values\) but holds 10; .*trunc"):
        data.read_idx(tmp_path / "huge")


def test_load_mnist_leaves_a_tilde_name_of_no_user_as_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # Path.expanduser raised "Could not determine home directory"
    with pytest.raises(FileNotFoundError, match=r"folder ~no_such_user_mnist does not exist"):
        mg.data.load_mnist("~no_such_user_mnist")
