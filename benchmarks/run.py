"""The benchmark: minigrad against plain-numpy references (benchmarks/references.py) of the same
computation, timed in one run with interleaved repetitions, printed as a table of ratios.

Run `python benchmarks/run.py` (options: --quick, --only W2, --repeat N, --markdown,
--record PATH, --profile W2)."""

import argparse
import cProfile
import gc
import importlib.util
import io
import json
import math
import multiprocessing
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
import zlib
from pathlib import Path

import numpy as np

import minigrad as mg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import references  # benchmarks/ is a folder of scripts, not a package
import workloads
from workloads import (
    CHAIN_LENGTH,
    CONV_SIZES,
    chain_inputs,
    conv_inputs,
    lenet_inputs,
    minigrad_chain,
    minigrad_conv,
    minigrad_lenet,
    minigrad_mlp,
    mlp_inputs,
)

HERE = Path(__file__).resolve().parent
DTYPE = workloads.DTYPE
THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)

LONG_CHAINS = (1_000, 10_000, 100_000)
STEADY_STEPS = 1000
SCALING_N = (8, 16, 32, 64, 128)  # W2 at 32×32
SCALING_SIZES = (16, 32, 64)  # W2 at n = 64

# (what is compared, bound, issue): a ratio or a time must be ≤ bound.
TARGETS = {
    "W1": [("ref", 1.0, 3), ("ref", 0.5, 6)],
    "W2": [("ref", 1.0, 3), ("ref", 0.5, 6), ("floor", 2.0, 6)],
    "W3": [("µs/op", 3.5, 2), ("µs/op", 3.5, 6)],
    "W4": [("ref", 1.1, 3), ("ref", 1.1, 6)],
    "W5": [("ref", 0.6, 6)],
    "W2 memory": [("ref", 1.2, 3), ("ref", 1.0, 6)],
}
# Above this max relative error between minigrad's results and the reference's, a row's times
# compare two different computations: its verdicts read INVALID (float32 rounding gives ~1e-6).
CHECK_TOLERANCE = 1e-4


# ---- the machine ------------------------------------------------------------------------------


def machine_info():
    """What the figures depend on: CPU, cores, Python, numpy, its BLAS and thread settings.

    Thread counts are only reported (environment variables and the BLAS's own count), never set.
    """
    info = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "usable cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "platform": platform.platform(),
        "numpy": np.__version__,
        "minigrad": _minigrad_version(),
        "blas": _blas_name(),
        "blas threads": _blas_threads(),
        "load average (1, 5, 15 min) at start": _load_average(),
    }
    for variable in THREAD_VARIABLES:
        info[variable] = os.environ.get(variable, "unset")
    try:
        import torch

        info["torch"] = f"{torch.__version__} ({torch.get_num_threads()} threads)"
    except ImportError:
        info["torch"] = "not installed (the torch column is left out)"
    return info


def _load_average():
    """The machine's load: others' processes slow a run down (the ratios are interleaved)."""
    try:
        return ", ".join(f"{load:.2f}" for load in os.getloadavg())
    except OSError:
        return "unknown"


def _minigrad_version():
    """minigrad's version and, in a git checkout, the commit measured (and whether minigrad/ had
    uncommitted changes), so that figures from before and after a change can be told apart."""
    version = mg.__version__
    repository = HERE.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(repository), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changes = subprocess.run(
            ["git", "-C", str(repository), "status", "--porcelain", "--", "minigrad"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return version
    return f"{version}, commit {commit}{' + uncommitted changes in minigrad/' if changes else ''}"


def _busy_warning(info):
    """A warning when other processes keep the cores busy (the figures get noisy), else None."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return None
    cores = info["usable cores"] or info["cores"] or 1
    if load < 0.5 * cores:
        return None
    return (
        f"warning: the machine is busy (load {load:.1f} on {cores} cores) — expect noisy figures "
        "(see the quartiles); rerun when it is idle for steadier ones"
    )


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _blas_name():
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except (TypeError, KeyError, ValueError):  # older numpy: no mode="dicts"
        return "unknown"
    text = f"{blas.get('name', '?')} {blas.get('version', '')}".strip()
    configuration = blas.get("openblas configuration")
    return f"{text} — {configuration}" if configuration else text


def _blas_threads():
    """The thread count OpenBLAS decided on, read through ctypes from the library numpy loaded."""
    import ctypes

    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return "unknown (no /proc)"
    libraries = {line.split()[-1] for line in maps.splitlines() if "openblas" in line.lower()}
    for path in sorted(libraries):
        library = ctypes.CDLL(path)
        for symbol in (
            "openblas_get_num_threads",
            "openblas_get_num_threads64_",
            "scipy_openblas_get_num_threads64_",
            "scipy_openblas_get_num_threads",
        ):
            function = getattr(library, symbol, None)
            if function is not None:
                return str(function())
    return "unknown (not OpenBLAS)"


# ---- timing -----------------------------------------------------------------------------------


def measure(variants, repeat, min_sample=0.004, warmup=2):
    """Seconds per call of each callable in `variants` (a dict name → function): a dict
    name → `repeat` samples, one per repetition.

    After `warmup` calls each, every repetition times every variant once, in a rotating order
    (interleaved, so that a noisy neighbour slows them all alike). A sample runs the function
    enough times to last about `min_sample` seconds (time.perf_counter has ~0.1 µs resolution).

    >>> samples = measure({"sum": lambda: sum(range(100))}, repeat=3)
    >>> len(samples["sum"]), min(samples["sum"]) > 0
    (3, True)
    """
    loops = {}
    for name, function in variants.items():
        for _ in range(warmup):
            function()
        start = time.perf_counter()
        function()
        once = time.perf_counter() - start
        loops[name] = max(1, math.ceil(min_sample / max(once, 1e-9)))
    samples = {name: [] for name in variants}
    names = list(variants)
    for r in range(repeat):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            function, count = variants[name], loops[name]
            start = time.perf_counter()
            for _ in range(count):
                function()
            samples[name].append((time.perf_counter() - start) / count)
    return samples


def measure_isolated(builders, repeat, min_sample=0.01, warmup=2, rounds=8):
    """Like `measure`, but each variant runs in a process of its own.

    `builders` maps a name to (function, args): a process calls function(*args) to get the step,
    warms it up and times a share of the repetitions, then exits. The processes run one at a time
    (an idle process's BLAS threads would otherwise compete with the one being timed), in
    `rounds` rounds of rotating order (at most one per repetition), so a drift of the machine
    touches every side alike. This machine's GEMM speed drifts by ±25 % within minutes: with 3
    rounds the W4 ratio read anywhere from 1.06 to 1.36 in one afternoon; with 8, 1.29 to 1.37.
    Separate processes keep the sides from sharing the memory allocator: in one process, what
    one side frees (or keeps for reuse) changes how much fresh, zero-filled memory the other
    side gets from the operating system, and so its time.
    """
    context = multiprocessing.get_context("spawn")
    time.sleep(0.5)  # let this process's BLAS threads (busy with the checks) stop spinning
    samples = {name: [] for name in builders}
    others = {name: [] for name in builders}  # (CPU seconds of other processes, wall seconds)
    gemm = {name: [] for name in builders}  # the GEMM probe's time in each timing process
    names = list(builders)
    rounds = max(1, min(rounds, repeat))
    per_round = [repeat // rounds + (1 if r < repeat % rounds else 0) for r in range(rounds)]
    for r, count in enumerate(per_round):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            builder, args = builders[name]
            before, began = _cpu_seconds(), time.perf_counter()
            here, there = context.Pipe(duplex=False)
            process = context.Process(
                target=_timing_worker, args=(there, builder, args, count, min_sample, warmup)
            )
            process.start()
            there.close()
            try:
                outcome, value = here.recv()
            except EOFError:  # the process died without a word (a crash in native code)
                outcome, value = "error", "its process ended without sending its times"
            process.join()
            if before is not None:  # what other processes used during this one's life
                after = _cpu_seconds()
                used = after[0] - before[0] - (after[1] - before[1])
                others[name].append((used, time.perf_counter() - began))
            if outcome == "error":
                if name not in OPTIONAL_SIDES:
                    raise RuntimeError(f"the {name} side failed in its timing process: {value}")
                print(f"warning: {name} side left out: {value}", file=sys.stderr)
                del samples[name], others[name], gemm[name]
                names.remove(name)  # later rounds skip it; this round's order was copied
            else:
                times, probe = value
                samples[name].extend(times)
                gemm[name].append(probe)
    return samples, {"others": others, "gemm": gemm}


OPTIONAL_SIDES = ("torch",)  # a failure drops its column (with a warning) rather than the run


def _timing_worker(connection, builder, args, count, min_sample, warmup):
    """One process of `measure_isolated`: build the step, warm it up, send ("ok", `count`
    samples), or ("error", what went wrong)."""
    try:
        step = builder(*args)
        for _ in range(warmup):
            step()
        start = time.perf_counter()
        step()
        loops = max(1, math.ceil(min_sample / max(time.perf_counter() - start, 1e-9)))
        times, before = [], gemm_probe()
        for _ in range(count):
            start = time.perf_counter()
            for _ in range(loops):
                step()
            times.append((time.perf_counter() - start) / loops)
        probe = (before + gemm_probe()) / 2  # how fast the BLAS ran around the timing
    except Exception as error:  # noqa: BLE001 - the parent decides (an optional side may fail)
        connection.send(("error", f"{type(error).__name__}: {error}"))
    else:
        connection.send(("ok", (times, probe)))
    connection.close()


def gemm_probe(size=256, repeat=5):
    """The fastest of `repeat` products of two (size, size) float32 matrices, in seconds: how
    fast the BLAS runs now. A virtual machine's host can slow its cores (a busy neighbour on the
    same physical core, a lower clock) with no sign inside the machine: no steal time, no other
    process. The GEMMs both sides share then slow far more than minigrad's Python (measured: the
    W4 reference at 4.5 ms instead of 1.9, its ratio 0.95 instead of 1.23), so a row whose probe
    ran SLOWED_GEMMS times slower than the run's fastest is unreliable.
    """
    a = np.ones((size, size), dtype=np.float32)
    out = np.empty_like(a)
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        np.matmul(a, a, out=out)
        best = min(best, time.perf_counter() - start)
    return best


SLOWED_GEMMS = 1.5


# While a side is timed, how much CPU the rest of the machine used: the whole machine's busy time
# (/proc/stat, steal time of a virtual machine included) minus this process's and its timing
# processes' own (all their threads, BLAS's too), over each timing process's life, summed over a
# side's processes (/proc/stat counts in hundredths of a second), in cores. On this 2-core
# machine: 0.00 when it was otherwise idle, 0.6 beside one busy process. On a busy 2-core machine
# OpenBLAS's two threads wait for each other, which slows the GEMMs (shared by both sides) far
# more than minigrad's single-threaded Python, and so pulls every ratio towards 1: the W4 ratio
# read 1.02 with its reference at 2.6 ms instead of ~2.0. Above this share for any side, a row's
# verdicts read "unreliable (busy)".
BUSY_OTHER_CORES = 0.2


def _cpu_seconds():
    """(CPU seconds the whole machine has been busy, those of this process and of its children
    that ended), or None where /proc/stat or `resource` is missing (not Linux)."""
    try:
        import resource

        with open("/proc/stat", encoding="ascii") as stat:
            jiffies = [int(v) for v in stat.readline().split()[1:9]]
    except (ImportError, OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = jiffies
    machine = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    own = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return machine, sum(usage.ru_utime + usage.ru_stime for usage in own)


def paired_ratio(samples, name, baseline):
    """Quartiles (q1, median, q3) of samples[name][r] / samples[baseline][r] over repetitions r.

    Both were timed in the same repetition (moments apart with `measure`; in the same round of
    processes with `measure_isolated`), so the ratio cancels slow drifts of the machine's load
    better than a ratio of two medians.

    >>> paired_ratio({"a": [2.0, 4.0, 9.0], "b": [1.0, 2.0, 3.0]}, "a", "b")
    (2.0, 2.0, 2.5)
    """
    ratios = [a / b for a, b in zip(samples[name], samples[baseline])]
    if len(ratios) < 2:
        return ratios[0], ratios[0], ratios[0]
    q1, median, q3 = statistics.quantiles(ratios, n=4, method="inclusive")
    return q1, median, q3


# ---- checks: minigrad and the reference compute the same thing ------------------------------


def max_relative_error(results, expected):
    """The largest |a − b| / (|b|_max + 1e-6) over pairs of arrays (or numbers).

    >>> max_relative_error([np.array([1.0, 2.0])], [np.array([1.0, 2.002])]) < 1e-3
    True
    """
    worst = 0.0
    for result, reference in zip(results, expected):
        result, reference = np.asarray(result, np.float64), np.asarray(reference, np.float64)
        scale = np.abs(reference).max() + 1e-6
        error = float(np.abs(result - reference).max() / scale)
        worst = max(worst, error if np.isfinite(error) else math.inf)  # NaN: no agreement
    return worst


# ---- the workloads ----------------------------------------------------------------------------


def _add_torch(variants, torch_too, build, *inputs):
    """Add PyTorch's step to `variants` when torch is installed; a failure is reported, not fatal
    (the PyTorch side is optional and cannot be exercised on machines without it)."""
    if not torch_too:
        return
    try:
        step = build(*inputs)
        step()
    except (ImportError, RuntimeError, TypeError, ValueError) as error:
        print(f"warning: PyTorch side left out: {type(error).__name__}: {error}", file=sys.stderr)
        return
    variants["torch"] = step


def conv_variant(name, side):
    """The step of one side of W1/W2 ("minigrad", "ref", "floor"), built from the inputs."""
    x, weight, bias = conv_inputs(name)
    if side == "minigrad":
        return minigrad_conv(x, weight, bias)
    if side == "ref":
        return lambda: references.conv_step(x, weight, bias)
    n, h, w, _ = x.shape
    cols = references.im2col(np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0))), 3)
    grad_y = np.ones((n * h * w, weight.shape[1]), dtype=DTYPE)
    out = [np.empty_like(grad_y), np.empty_like(weight), np.empty_like(cols)]  # y, ∂W, ∂cols
    return lambda: references.conv_matmul_floor(cols, weight, grad_y, out)


def mlp_variant(side):
    """The step of one side of W4."""
    x, labels, params = mlp_inputs()
    if side == "minigrad":
        return minigrad_mlp(x, labels, params)
    return lambda: references.mlp_step(x, labels, *params)


def lenet_variant(side, lr=0.01):
    """The SGD step of one side of W5 (each side trains its own copy of the weights)."""
    x, labels, params = lenet_inputs()
    if side == "minigrad":
        return minigrad_lenet(x, labels, params, lr)[0]
    reference_params = [p.copy() for p in params]
    return lambda: references.lenet_step(x, labels, reference_params, lr)


def run_conv(name, repeat, torch_too):
    """W1 or W2: minigrad, the numpy reference, the matmul floor (and PyTorch), interleaved,
    each in its own process."""
    x, weight, bias = conv_inputs(name)
    check = max_relative_error(
        minigrad_conv(x, weight, bias)(), references.conv_step(x, weight, bias)
    )
    builders = {side: (conv_variant, (name, side)) for side in ("minigrad", "ref", "floor")}
    if torch_too:
        builders["torch"] = (_torch_variant, (workloads.torch_conv, x, weight, bias))
    samples, state = measure_isolated(builders, repeat)
    return {"samples": samples, **state, "check": check, "unit": "ms"}


def run_overhead(repeat, torch_too):
    """W3: time per op of the 50-op chain (forward + backward); ref = the 50 forward ops as raw
    numpy calls; floor = forward and backward written by hand in numpy (no graph)."""
    x, a, b = chain_inputs()
    leaf = mg.Tensor(x, requires_grad=True)
    y = workloads.chain(leaf, mg.Tensor(a), mg.Tensor(b), CHAIN_LENGTH, mg.tanh)
    y.sum().backward()
    check = max_relative_error(
        [y.data, y.data, leaf.grad.data],
        [references.chain_numpy(x, a, b, CHAIN_LENGTH), *references.chain_by_hand(x, a, b)],
    )
    variants = {
        "minigrad": minigrad_chain(x, a, b),
        "ref": lambda: references.chain_numpy(x, a, b, CHAIN_LENGTH),
        "floor": lambda: references.chain_by_hand(x, a, b, CHAIN_LENGTH),
    }
    _add_torch(variants, torch_too, workloads.torch_chain, x, a, b)
    samples = {
        name: [t / CHAIN_LENGTH for t in values]
        for name, values in measure(variants, repeat).items()
    }
    return {"samples": samples, "check": check, "unit": "µs"}


def run_mlp(repeat, torch_too):
    """W4: the MLP step, forward + backward, each side in its own process."""
    x, labels, params = mlp_inputs()
    check = max_relative_error(
        minigrad_mlp(x, labels, params)(), references.mlp_step(x, labels, *params)
    )
    builders = {side: (mlp_variant, (side,)) for side in ("minigrad", "ref")}
    if torch_too:
        builders["torch"] = (_torch_variant, (workloads.torch_mlp, x, labels, params))
    samples, state = measure_isolated(builders, repeat)
    return {"samples": samples, **state, "check": check, "unit": "ms"}


def lenet_check(lr=0.01, build=minigrad_lenet):
    """W5's check: the largest relative error of minigrad's loss and gradients against the
    reference's, at the initial weights and again after one timed SGD step of each side (what is
    timed is the step, so its update must be the reference's too).

    >>> lenet_check() < 1e-5
    True
    """
    x, labels, params = lenet_inputs()
    step, gradients = build(x, labels, params, lr)
    errors = [max_relative_error(gradients(), references.lenet_gradients(x, labels, params))]
    reference_params = [p.copy() for p in params]
    step()
    references.lenet_step(x, labels, reference_params, lr)
    expected = references.lenet_gradients(x, labels, reference_params)
    errors.append(max_relative_error(gradients(), expected))
    return max(errors)


def run_lenet(repeat, torch_too, lr=0.01):
    """W5: one SGD step of the LeNet-like net, each side in its own process."""
    x, labels, _ = lenet_inputs()
    check = lenet_check(lr)
    builders = {side: (lenet_variant, (side, lr)) for side in ("minigrad", "ref")}
    if torch_too:
        builders["torch"] = (_torch_variant, (workloads.torch_lenet, x, labels, lr))
    samples, state = measure_isolated(builders, repeat)
    return {"samples": samples, **state, "check": check, "unit": "ms"}


def _torch_variant(build, *inputs):
    """PyTorch's step (in a timing process); the PyTorch side is optional and never required."""
    return build(*inputs)


def run_memory(name="W2"):
    """Peak memory of one conv step, minigrad vs reference, each in a fresh subprocess."""
    result = {}
    for side in ("minigrad", "ref"):
        command = [sys.executable, str(Path(__file__).resolve()), "--memory-child", name, side]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            raise RuntimeError(f"memory child {name} {side} failed:\n{completed.stderr}")
        result[side] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def _proc_status(field):
    """A memory figure of /proc/self/status in bytes (Linux), or None elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _reset_peak_rss():
    """Reset the kernel's peak-RSS mark (VmHWM; Linux ≥ 4.0). True when it worked."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return _proc_status("VmHWM") is not None


def _peak_rss():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB on Linux


def memory_child(name, side, steps=3):
    """Peak memory of a conv step in this (fresh) process; prints JSON {"rss": …, "traced": …}.

    rss: the peak resident memory over `steps` steps minus the resident memory just before them.
    The BLAS's work buffers are touched first (the step's three GEMMs, alone), so they are in the
    baseline of both sides. traced: the tracemalloc peak of one more step (numpy reports its
    buffers to tracemalloc), minus what was traced before it, with minigrad's pool of reused
    arrays emptied first so that every array of the step is counted.
    """
    x, weight, bias = conv_inputs(name)
    if side == "minigrad":
        step = minigrad_conv(x, weight, bias)
    else:

        def step():
            return references.conv_step(x, weight, bias)

    n, h, w, c = x.shape
    cols = np.ones((n * h * w, 9 * c), dtype=DTYPE)
    references.conv_matmul_floor(cols, weight, np.ones((n * h * w, weight.shape[1]), DTYPE))
    del cols
    gc.collect()
    before = _proc_status("VmRSS") or _peak_rss()
    exact = _reset_peak_rss()
    for _ in range(steps):
        step()
    rss_peak = (_proc_status("VmHWM") if exact else _peak_rss()) - before
    mg.buffers.clear()  # minigrad's reused arrays would otherwise hide its allocations
    gc.collect()
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    step()
    traced_peak = tracemalloc.get_traced_memory()[1] - start
    tracemalloc.stop()
    print(json.dumps({"rss": rss_peak, "traced": traced_peak, "exact": exact}))


def run_long_chains(lengths, repeat):
    """Backward time and tracemalloc peak (build + backward) of W3's chain at each length."""
    x_np, a_np, b_np = chain_inputs()
    a, b = mg.Tensor(a_np), mg.Tensor(b_np)

    def build(length):
        return workloads.chain(mg.Tensor(x_np, requires_grad=True), a, b, length, mg.tanh).sum()

    rows = []
    for length in lengths:
        times = []
        for _ in range(repeat):
            loss = build(length)
            start = time.perf_counter()
            loss.backward()
            times.append(time.perf_counter() - start)
            del loss
        gc.collect()
        tracemalloc.start()
        loss = build(length)
        loss.backward()
        del loss
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rows.append({"length": length, "backward": statistics.median(times), "peak": peak})
    return rows


def run_steady_memory(steps):
    """Traced memory growth over `steps` train-like steps (forward, backward, SGD; loss dropped),
    in two halves: a graph kept alive by mistake grows both alike; allocator caches level off."""
    step = workloads.minigrad_steady()
    for _ in range(20):
        step()
    gc.collect()
    tracemalloc.start()
    traced = [tracemalloc.get_traced_memory()[0]]
    for _ in range(2):
        for _ in range(steps // 2):
            step()
        gc.collect()
        traced.append(tracemalloc.get_traced_memory()[0])
    tracemalloc.stop()
    return {"steps": steps, "growth": traced[2] - traced[0], "second half": traced[2] - traced[1]}


def run_scaling(n_values, sizes, repeat):
    """W2's minigrad step (16→32 channels) for several n at 32×32 and several sizes at n = 64,
    all configurations interleaved in one measurement."""
    configurations = [(n, 32) for n in n_values] + [(64, size) for size in sizes if size != 32]
    variants = {
        configuration: minigrad_conv(*conv_inputs("W2", *configuration))
        for configuration in configurations
    }
    samples = measure(variants, repeat, warmup=1)
    return [
        {"n": n, "size": size, "time": statistics.median(samples[(n, size)])}
        for n, size in configurations
    ]


# ---- the report -------------------------------------------------------------------------------


def _format_time(seconds, unit):
    if unit == "µs":
        return f"{seconds * 1e6:.2f} µs/op"
    return f"{seconds * 1e3:.2f} ms"


def _ratio(a, b):
    return a / b if b else float("nan")


def _target_cells(name, result, fastest_gemm=None):
    """The target column and the met column for one row: one entry per target. `fastest_gemm`:
    the GEMM probe's best time over the run (see `gemm_probe`)."""
    targets, verdicts = [], []
    for what, bound, issue in TARGETS.get(name, []):
        if what == "µs/op":
            value = statistics.median(result["samples"]["minigrad"]) * 1e6
            text = f"≤ {bound} µs/op (#{issue})"
        else:
            value = result[what]
            text = f"{'ref' if what == 'ref' else 'floor'} ≤ {bound}× (#{issue})"
        targets.append(text)
        check = result.get("check")
        disturbed = None if what == "µs/op" else _disturbed(result, fastest_gemm)
        if check is not None and not check <= CHECK_TOLERANCE:  # (NaN or inf: INVALID too)
            verdicts.append("INVALID: results differ")
        elif disturbed:
            verdicts.append(f"unreliable ({disturbed})")
        else:
            verdicts.append("yes" if value <= bound else "NO")
    return "; ".join(targets), "; ".join(verdicts)


def _disturbed(result, fastest_gemm, reference=True):
    """Why a row's times cannot give a verdict, or None: other processes took the cores, the
    GEMM probe ran slowed, or (with `reference`) the reference ran slower than its usual time on
    this machine (see compare_with_record)."""
    busiest, slowed = _busiest(result), _slowed(result, fastest_gemm)
    if busiest is not None and busiest > BUSY_OTHER_CORES:
        return f"busy: others used {busiest:.2f} cores"
    if slowed is not None and slowed > SLOWED_GEMMS:
        return f"slowed: GEMMs {slowed:.1f}× slower than the run's best"
    if reference and (result.get("reference_slowed") or 0) > SLOWED_REFERENCE:
        return (
            f"slowed: the reference {result['reference_slowed']:.2f}× its usual time on this "
            "machine"
        )
    return None


def others_lines(results):
    """One line per row timed in processes of its own: the cores other processes used while each
    side was timed, how fast the GEMM probe ran, how fast the reference, and what they mean."""
    lines, fastest = [], fastest_gemm(results)
    for name, result in results.items():
        parts = []
        shares = {side: _share(used) for side, used in result.get("others", {}).items() if used}
        if shares:  # (not measured where /proc/stat is missing)
            parts.append("other processes " + ", ".join(f"{s} {c:.2f}" for s, c in shares.items()))
        slowed = _slowed(result, fastest)
        if slowed is not None:
            parts.append(f"GEMM probe {slowed:.2f}× the run's best")
        if result.get("reference_slowed") is not None:
            usual = _format_time(result["reference_usual"], result["unit"])
            runs = result["reference_runs"]
            parts.append(
                f"reference {result['reference_slowed']:.2f}× its usual time here ({usual}, "
                f"the median of {runs} earlier run{'s' if runs > 1 else ''})"
            )
        if parts:
            lines.append(f"{name}: " + "; ".join(parts))
    if lines:
        lines.append(
            "(cores used by other processes, steal time included, while each side was timed; "
            "the median time of a 256×256 GEMM in the row's processes over the run's best; the "
            "reference's median over its usual one on this machine (--record); above "
            f"{BUSY_OTHER_CORES} cores for a side, {SLOWED_GEMMS}× for the GEMMs or "
            f"{SLOWED_REFERENCE}× for the reference, the shared GEMMs were slowed and the row's "
            "verdicts read unreliable)"
        )
    return lines


def _share(used):
    """The cores other processes used on average over a side's timing processes: their CPU
    seconds over the processes' lives, summed (/proc/stat counts in hundredths of a second)."""
    return sum(cpu for cpu, _ in used) / max(sum(wall for _, wall in used), 1e-9)


def _slowed(result, fastest_gemm):
    """How many times slower than the run's fastest the GEMM probe ran in a row's timing
    processes (the median over all of them), or None when not measured."""
    probes = [t for side in result.get("gemm", {}).values() for t in side]
    if not probes or not fastest_gemm:
        return None
    return statistics.median(probes) / fastest_gemm


def fastest_gemm(results):
    """The GEMM probe's best time over every timing process of the run, or None."""
    probes = [t for r in results.values() for side in r.get("gemm", {}).values() for t in side]
    return min(probes) if probes else None


def _busiest(result):
    """The cores other processes used while a row's busiest side was timed, or None when not
    measured (W3, which times in one process; not Linux). An average over the side's processes:
    one disturbed round of eight does not void the row, as it does not move its median ratio."""
    shares = [_share(used) for used in result.get("others", {}).values() if used]
    return max(shares) if shares else None


# Each row's reference times on this machine, kept between runs in a file outside the repository
# (--record). A host that slows every GEMM through a whole run leaves no fast row for the GEMM
# probe to be compared with, and a probe that stays in the cache can run at full speed while
# larger GEMMs are slowed: one afternoon W4's reference took 2.52 ms instead of 1.89, the probe
# 1.11× the run's best, and W4's ratio read 1.04, "met", instead of 1.23. The reference's own
# median against its usual one here (the median over the last RECORD_RUNS full runs: not the
# fastest, which only falls as runs pile up) shows it. Above SLOWED_REFERENCE a row's verdicts
# read unreliable. (On an idle machine here, four runs in a row gave W4's reference medians
# within 1.21× of each other and W1's within 1.24×: at most ~1.12× from their median.)
SLOWED_REFERENCE = 1.25
RECORD_RUNS = 9
# (os.path.expanduser leaves ~ where no home directory is known, as for a user id of no
# account: no record then, where Path.expanduser raised when this module was imported)
_CACHE = os.path.expanduser(os.environ.get("XDG_CACHE_HOME") or "~/.cache")
RECORD = "none" if _CACHE.startswith("~") else str(Path(_CACHE) / "minigrad-benchmark.json")


def record_key(info):
    """What a record of reference times holds for: the machine, the numpy and BLAS that run the
    references, their thread settings, and the references' code."""
    code = (HERE / "references.py").read_bytes()
    parts = [str(info.get(key)) for key in ("cpu", "cores", "numpy", "blas", "blas threads")]
    parts += [f"{variable}={info.get(variable)}" for variable in THREAD_VARIABLES]
    return " | ".join(parts) + f" | references.py {zlib.crc32(code):08x}"


def compare_with_record(results, path, key, update):
    """Set each timed row's `reference_slowed`: the median of its reference's times over its
    usual median under `key` (`reference_usual`: the median over the last RECORD_RUNS recorded;
    None before the first). With `update`, add this run's medians to the record, but for rows
    the other checks found disturbed (busy, or the GEMM probe slowed): a slowed time would make
    the usual one slower. An unreadable file or entry is started again; a file that cannot be
    written only costs the record (with a warning)."""
    try:
        record = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        record = {}
    if not isinstance(record, dict):
        record = {}
    if not isinstance(record.get(key), dict):  # (the records of other settings are kept)
        record[key] = {}
    runs, fastest = record[key], fastest_gemm(results)
    for name, result in results.items():
        samples = result.get("samples", {}).get("ref")
        if not samples or "gemm" not in result:  # timed in processes of its own: W1, W2, W4, W5
            continue
        earlier = runs.get(name)
        if not isinstance(earlier, list) or not all(_is_time(t) for t in earlier):
            earlier = []
        median = statistics.median(samples)
        usual = statistics.median(earlier) if earlier else None
        result["reference_slowed"] = median / usual if usual else None
        result["reference_usual"] = usual
        result["reference_runs"] = len(earlier)
        # (a reference slower than usual is recorded: the host may have become slower)
        if update and not _disturbed(result, fastest, reference=False):
            runs[name] = (earlier + [median])[-RECORD_RUNS:]
    if update:
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(path.name + f".{os.getpid()}")
            partial.write_text(json.dumps(record, indent=1) + "\n")
            os.replace(partial, path)  # (a run stopped while writing leaves the old record)
        except OSError as error:
            print(
                f"warning: the record of reference times was not written: {error}", file=sys.stderr
            )


def _is_time(value):
    return isinstance(value, float) and math.isfinite(value) and value > 0


def main_table(results, torch_too):
    """The rows of the main table (a list of lists of strings), header first."""
    header = ["workload", "minigrad", "numpy ref", "× ref [q1–q3]", "× floor"]
    if torch_too:
        header.append("× torch")
    header += ["target", "met"]
    rows = [header]
    fastest = fastest_gemm(results)
    labels = {
        "W1": "W1 conv step n=32 28×28 8→16",
        "W2": "W2 conv step n=64 32×32 16→32",
        "W3": "W3 overhead, 50 ops on (16,)",
        "W4": "W4 MLP step 784→256→10, batch 128",
        "W5": "W5 LeNet-like SGD step, batch 64",
        "W2 memory": "W2 memory: peak RSS of the step",
    }
    for name, label in labels.items():
        if name not in results:
            continue
        result = results[name]
        if name == "W2 memory":
            mg_side, ref_side = result["minigrad"], result["ref"]
            result["ref"] = _ratio(mg_side["rss"], ref_side["rss"])
            row = [
                label,
                f"{mg_side['rss'] / 2**20:.1f} MiB ({mg_side['traced'] / 2**20:.1f} traced)",
                f"{ref_side['rss'] / 2**20:.1f} MiB ({ref_side['traced'] / 2**20:.1f} traced)",
                f"{result['ref']:.2f} ({_ratio(mg_side['traced'], ref_side['traced']):.2f})",
                "—",
            ]
            if torch_too:
                row.append("—")
        else:
            samples, unit = result["samples"], result["unit"]
            row = [
                label,
                _format_time(statistics.median(samples["minigrad"]), unit),
                _format_time(statistics.median(samples["ref"]), unit),
            ]
            for baseline in ("ref", "floor", "torch") if torch_too else ("ref", "floor"):
                if baseline in samples:
                    q1, result[baseline], q3 = paired_ratio(samples, "minigrad", baseline)
                    cell = f"{result[baseline]:.2f} [{q1:.2f}–{q3:.2f}]"
                    if baseline != "ref":  # its time is in a column of its own
                        cell += f" of {_format_time(statistics.median(samples[baseline]), unit)}"
                    row.append(cell)
                else:
                    row.append("—")
        rows += [row + list(_target_cells(name, result, fastest))]
    return rows


def render(rows, markdown):
    """A table as aligned plain text, or as a Markdown table.

    >>> print(render([["a", "bb"], ["1", "2"]], markdown=True))
    | a | bb |
    |---|---|
    | 1 | 2 |
    """
    if markdown:
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows[1:]])
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)


def chain_table(rows):
    """Long chains: backward time and traced peak per op should stay flat (linear growth)."""
    table = [["ops", "backward", "µs/op", "traced peak", "bytes/op"]]
    for row in rows:
        length = row["length"]
        table.append(
            [
                f"{length:,}",
                f"{row['backward'] * 1e3:.1f} ms",
                f"{row['backward'] / length * 1e6:.2f}",
                f"{row['peak'] / 2**20:.1f} MiB",
                f"{row['peak'] / length:.0f}",
            ]
        )
    return table


def chain_verdict(rows):
    """Linear growth: the per-op time and memory of the longest chain ≤ 2× those of the shortest."""
    first, last = rows[0], rows[-1]
    time_growth = (last["backward"] / last["length"]) / (first["backward"] / first["length"])
    memory_growth = (last["peak"] / last["length"]) / (first["peak"] / first["length"])
    met = "yes" if time_growth <= 2 and memory_growth <= 2 else "NO"
    return (
        f"per-op backward time ×{time_growth:.2f} and memory ×{memory_growth:.2f} from "
        f"{first['length']:,} to {last['length']:,} ops (linear if ≤ 2; #2): {met}"
    )


def scaling_table(rows):
    """W2 scaling: time per n·h·w should stay flat."""
    table = [["n", "h = w", "minigrad", "ns per n·h·w"]]
    for row in rows:
        pixels = row["n"] * row["size"] ** 2
        table.append(
            [
                str(row["n"]),
                str(row["size"]),
                f"{row['time'] * 1e3:.1f} ms",
                f"{row['time'] / pixels * 1e9:.0f}",
            ]
        )
    return table


# ---- the command line -------------------------------------------------------------------------

WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "memory", "chain", "steady", "scaling")


def profile(name, seconds=3.0):
    """Print cProfile's top entries for minigrad's step of workload `name` (W1 … W5)."""
    if name in CONV_SIZES:
        step = minigrad_conv(*conv_inputs(name))
    elif name == "W3":
        step = minigrad_chain(*chain_inputs(), CHAIN_LENGTH)
    elif name == "W4":
        step = minigrad_mlp(*mlp_inputs())
    elif name == "W5":
        x, labels, params = lenet_inputs()
        step = minigrad_lenet(x, labels, params, 0.01)[0]
    else:
        raise SystemExit(f"--profile: unknown workload {name!r}; choose one of W1 … W5.")
    step()
    start = time.perf_counter()
    step()
    count = max(1, int(seconds / (time.perf_counter() - start)))
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(3):
        step()
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / 3
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        step()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    print(f"cProfile of minigrad's {name} step, {count} steps (cProfile adds its own overhead).")
    print(
        "\nPer op: the numpy work in each Function's forward, in both passes (backward runs ops):"
    )
    print(render(op_breakdown(stats, count), markdown=False))
    print(
        f"\nFresh pages from the OS per step (minor page faults, without cProfile): {faults:.0f}"
        " (each is zeroed on first touch; a steady step should need none)"
    )
    print("\nTop entries (times are totals over the steps):")
    stats.strip_dirs().sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(15)
    print(out.getvalue())


def op_breakdown(stats, steps):
    """A table of the cumulative time per step spent in each `Function` subclass's forward,
    and the rest (the engine's bookkeeping, gradient accumulation, Python glue), from pstats."""
    forwards, pending = {}, list(mg.Function.__subclasses__())
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        code = getattr(vars(cls).get("forward"), "__code__", None)
        if code is not None:  # (none for a staticmethod or a numpy function given as forward)
            forwards[(code.co_filename, code.co_firstlineno, code.co_name)] = cls.__name__
    total = stats.total_tt / steps
    rows, covered = [], 0.0
    for key, (_, calls, _, cumulative, _) in stats.stats.items():
        if key in forwards:
            covered += cumulative / steps
            rows.append((cumulative / steps, forwards[key], calls / steps))
    unit, scale = ("µs", 1e6) if total < 1e-3 else ("ms", 1e3)
    table = [["op", f"{unit}/step", "calls/step", "share"]]
    for seconds, op, calls in sorted(rows, reverse=True):
        table.append([op, f"{seconds * scale:.2f}", f"{calls:g}", f"{seconds / total:.0%}"])
    rest = total - covered
    table.append(["(outside forwards)", f"{rest * scale:.2f}", "", f"{rest / total:.0%}"])
    table.append(["(total)", f"{total * scale:.2f}", "", "100%"])
    return table


def run(args):
    """Run the selected workloads and print (and optionally write) the report."""
    quick = args.quick
    repeat = args.repeat or (3 if quick else 31)
    selected = set(WORKLOADS if not args.only else args.only.split(","))
    unknown = selected - set(WORKLOADS)
    if unknown:
        raise SystemExit(f"--only: unknown {sorted(unknown)}; choose from {', '.join(WORKLOADS)}")
    torch_too = importlib.util.find_spec("torch") is not None
    info = machine_info()
    lines = ["Machine:"] + [f"  {key}: {value}" for key, value in info.items()]
    lines.append(
        f"  repetitions: {repeat} (interleaved; medians){' — QUICK mode' if quick else ''}"
    )
    busy = _busy_warning(info)
    if busy:
        lines.append(busy)
    print("\n".join(lines), flush=True)

    started = time.perf_counter()
    results = {}
    for name in ("W1", "W2"):
        if name in selected:
            results[name] = run_conv(name, repeat, torch_too)
    if "W3" in selected:
        results["W3"] = run_overhead(repeat, torch_too)
    if "W4" in selected:
        results["W4"] = run_mlp(repeat, torch_too)
    if "W5" in selected:
        results["W5"] = run_lenet(repeat, torch_too)
    if "memory" in selected:
        results["W2 memory"] = run_memory("W2")
    sections = []
    if results:
        if args.record != "none":  # quick runs compare, and only full runs are recorded
            compare_with_record(results, args.record, record_key(info), update=not quick)
        table = main_table(results, torch_too)
        checks = [
            f"{name}: {result['check']:.1e}"
            for name, result in results.items()
            if result.get("check") is not None
        ]
        sections.append(("Workloads (ratio = minigrad / reference; < 1 is faster)", table))
        if checks:
            sections.append(("Same results as the reference (max relative error)", checks))
        others = others_lines(results)
        if others:
            sections.append(("The machine while timing", others))
    if "chain" in selected:
        lengths = (100, 1_000, 10_000) if quick else LONG_CHAINS
        rows = run_long_chains(lengths, repeat=1 if quick else 3)
        sections.append(("Long chain: backward time and tracemalloc peak", chain_table(rows)))
        sections.append(("Long chain verdict", [chain_verdict(rows)]))
    if "steady" in selected:
        steady = run_steady_memory(100 if quick else STEADY_STEPS)
        met = "yes" if steady["growth"] <= 64 * 1024 else "NO"
        text = (
            f"traced memory growth over {steady['steps']} train-like steps with the loss dropped: "
            f"{steady['growth'] / 1024:.1f} KiB, {steady['second half'] / 1024:.1f} KiB of it in "
            f"the second half (target: no growth, ≤ 64 KiB; #2): {met}"
        )
        sections.append(("Steady memory", [text]))
    if "scaling" in selected:
        n_values, sizes = ((8, 16), (16,)) if quick else (SCALING_N, SCALING_SIZES)
        rows = run_scaling(n_values, sizes, repeat=2 if quick else 5)
        sections.append(
            ("W2 scaling (minigrad step; flat ns per n·h·w = linear)", scaling_table(rows))
        )
    elapsed = time.perf_counter() - started

    for markdown in (False, True) if args.markdown else (False,):
        text = _report(sections, markdown)
        if markdown:
            command = " ".join(["python benchmarks/run.py", *sys.argv[1:]])
            when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
            header = [
                "# Benchmark results",
                "",
                f"`{command}` on {when}, {elapsed:.0f} s.",
                "",
                "## Machine",
                "",
                *[f"- {key}: {value}" for key, value in info.items()],
                f"- load average at the end: {_load_average()}",
                f"- repetitions: {repeat}, interleaved; every time is a median",
                *([f"- **{busy}**"] if busy else []),
                "",
                "",
            ]
            Path(args.markdown).write_text("\n".join(header) + text + "\n" + _NOTES)
            print(f"\nwrote {args.markdown}")
        else:
            print("\n" + text)
            print(f"\n(total {elapsed:.0f} s)")


_NOTES = f"""
## How to read it

- Times are medians of interleaved repetitions (each repetition times every variant once, in a
  rotating order), measured with `time.perf_counter` after warm-up calls. For W1, W2, W4 and W5
  each variant runs in a process of its own, one process at a time, in eight rounds of rotating
  order: the sides must not share the memory allocator (what one side frees or keeps changes
  how many fresh pages the other one gets), nor compete with idle BLAS threads. A ratio is the
  median of the per-repetition ratios (both sides timed in the same repetition or round), with
  its quartiles in brackets.
- The machine is shared: compare ratios from one run, not times from different runs. A target is
  met when the median ratio is within it. When other processes used more than
  {BUSY_OTHER_CORES} of a core while a side was timed (on average over its processes), or when a
  256×256 GEMM timed in the row's processes ran {SLOWED_GEMMS}× slower than at the run's best (a
  virtual machine's host can slow its cores with no sign inside it), the row's verdicts read
  *unreliable* (see *The machine while timing*): a busy or slowed machine slows the GEMMs both
  sides share far more than minigrad's Python, and pulls every ratio towards 1. So does a row
  whose reference ran {SLOWED_REFERENCE}× slower than its usual time on this machine (the
  median over the last {RECORD_RUNS} full runs, `--record`; a whole run slowed has no fast row
  to compare the probe with).
- *numpy ref* is `benchmarks/references.py`: the same computation written by hand in numpy, the
  obvious way (im2col as a strided view + one copy + one matmul; backward by matmuls and s²
  slice-adds). *floor* is the three GEMMs of the conv step timed alone, into arrays allocated
  once (no fresh pages, as minigrad's matmul reuses its outputs). For W3 the reference is the
  50 forward ops as raw numpy calls (µs per call), so its ratio is the per-op cost of the engine
  in numpy calls; its floor is the chain's forward and backward written by hand in numpy, with
  no graph (`references.chain_by_hand`): what any engine on numpy pays before its own work.
- Memory (W2): each side runs in a fresh process. *peak RSS* is the peak resident memory over three
  steps (Linux VmHWM, reset through /proc/self/clear_refs; elsewhere getrusage's max RSS) minus the
  resident memory just before them, after the step's three GEMMs ran alone once so that the BLAS's
  work buffers are in both baselines. *traced* is the `tracemalloc` peak of one more step (numpy
  reports its buffers to tracemalloc), minigrad's pool of reused arrays emptied first. The
  targets are judged on peak RSS. minigrad's backward gives back the arrays of large
  intermediates that only the graph holds; what stays above the reference is the forward pass,
  where the graph holds the matmul output, the biased output and the ReLU output (8 MiB each
  in W2) and the padded input, while the reference keeps one activation.
- Long chains and steady memory use `tracemalloc` (Python objects and numpy buffers).
- Nothing in the process environment is tuned: thread counts are reported, never set.
"""


def _report(sections, markdown):
    """The sections (title, table or list of lines) as plain text or Markdown."""
    parts = []
    for title, body in sections:
        if body and isinstance(body[0], list):
            text = render(body, markdown)
        else:
            text = "\n".join(("- " if markdown else "  ") + line for line in body)
        parts.append(f"## {title}\n\n{text}" if markdown else f"{title}:\n{text}")
    return "\n\n".join(parts)


def main(argv=None):
    """Parse the command line and run the benchmark, a profile, or a memory child process."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])  # the first paragraph
    parser.add_argument("--quick", action="store_true", help="few repetitions, smaller sweeps")
    parser.add_argument("--only", help=f"comma-separated subset of: {', '.join(WORKLOADS)}")
    parser.add_argument("--repeat", type=int, help="interleaved repetitions (default 31; 3 quick)")
    parser.add_argument(
        "--markdown",
        nargs="?",
        const=str(HERE / "RESULTS.md"),
        metavar="PATH",
        help="also write the report as Markdown (default benchmarks/RESULTS.md)",
    )
    parser.add_argument(
        "--record",
        default=RECORD,
        metavar="PATH",
        help="the file of this machine's reference times, which tells a run whose GEMMs the "
        "host slowed throughout ('none': no record; default %(default)s)",
    )
    parser.add_argument("--profile", metavar="NAME", help="cProfile minigrad's step of W1 … W5")
    parser.add_argument("--memory-child", nargs=2, metavar=("NAME", "SIDE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_child:
        memory_child(*args.memory_child)
    elif args.profile:
        profile(args.profile)
    else:
        run(args)


if __name__ == "__main__":
    main()
