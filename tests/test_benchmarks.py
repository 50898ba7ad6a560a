"""Smoke tests of the benchmark harness (benchmarks/run.py): it runs, reports every workload, and
its minigrad and numpy sides compute the same thing. No timing is asserted."""

import cProfile
import doctest
import importlib
import io
import json
import os
import pstats
import re
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import minigrad as mg

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
references = importlib.import_module("references")
run = importlib.import_module("run")
workloads = importlib.import_module("workloads")

ROWS = (
    "W1 conv step",
    "W2 conv step",
    "W3 overhead",
    "W4 MLP step",
    "W5 LeNet-like SGD step",
    "W2 memory",
)


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    """One run of `run.py --quick --markdown PATH` in a fresh process: (stdout, markdown text)."""
    path = tmp_path_factory.mktemp("bench") / "RESULTS.md"
    command = [sys.executable, str(BENCHMARKS / "run.py"), "--quick", "--markdown", str(path)]
    command += ["--record", str(path.parent / "record.json")]  # (a quick run only reads it)
    completed = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout, path.read_text()


def test_quick_run_reports_every_workload(quick_report):
    stdout, markdown = quick_report
    for text in (stdout, markdown):
        for row in ROWS:
            assert row in text
        for section in ("Long chain", "Steady memory", "W2 scaling", "numpy", "blas threads"):
            assert section in text
    assert "\n| W2 conv step" in markdown


def test_quick_run_has_a_verdict_for_every_target(quick_report):
    _, markdown = quick_report
    for row in ROWS:
        line = next(line for line in markdown.splitlines() if line.startswith("| " + row))
        name = "W2 memory" if row == "W2 memory" else row.split()[0]
        verdicts = [verdict.strip() for verdict in line.split("|")[-2].split(";")]
        assert len(verdicts) == len(run.TARGETS[name]), line
        # (a machine that took the cores away while timing gives no verdict: see the next tests)
        readable = ("yes", "NO")
        assert all(v in readable or v.startswith("unreliable (") for v in verdicts), line


def test_minigrad_and_references_agree():
    x, weight, bias = workloads.conv_inputs("W1", n=2, size=6)
    assert (
        run.max_relative_error(
            workloads.minigrad_conv(x, weight, bias)(), references.conv_step(x, weight, bias)
        )
        < 1e-5
    )
    x, labels, params = workloads.mlp_inputs()
    assert (
        run.max_relative_error(
            workloads.minigrad_mlp(x, labels, params)(), references.mlp_step(x, labels, *params)
        )
        < 1e-5
    )
    x, labels, params = workloads.lenet_inputs()
    _, gradients = workloads.minigrad_lenet(x[:4], labels[:4], params, lr=0.01)
    expected = references.lenet_gradients(x[:4], labels[:4], params)
    assert run.max_relative_error(gradients(), expected) < 1e-5


def test_conv_reference_matches_a_loop_over_pixels():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 5, 3))
    weight, bias = rng.standard_normal((27, 2)), rng.standard_normal(2)
    y, _, _ = references.conv_forward(x, weight, bias, 1)
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    loop = np.array(
        [
            [
                [padded[m, i : i + 3, j : j + 3].reshape(-1) @ weight + bias for j in range(5)]
                for i in range(4)
            ]
            for m in range(2)
        ]
    )
    np.testing.assert_allclose(y.reshape(2, 4, 5, 2), loop)


def test_conv_reference_gradients_are_the_numerical_ones():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 3, 3, 2))
    weight, bias = rng.standard_normal((18, 2)), rng.standard_normal(2)
    _, grad_x, grad_w, _ = references.conv_step(x, weight, bias)
    eps = 1e-6
    for array, grad in ((x, grad_x), (weight, grad_w)):
        index = np.unravel_index(np.argmax(np.abs(grad)), grad.shape)
        array[index] += eps
        up = references.conv_step(x, weight, bias)[0]
        array[index] -= 2 * eps
        down = references.conv_step(x, weight, bias)[0]
        array[index] += eps
        assert (up - down) / (2 * eps) == pytest.approx(grad[index], rel=1e-4)


def test_profile_prints_the_top_entries(capsys):
    run.profile("W3", seconds=0.05)
    out = capsys.readouterr().out
    assert "cProfile of minigrad's W3 step" in out
    assert "tottime" in out
    faults = re.search(r"Fresh pages from the OS per step \(minor page faults, [^)]*\): (\d+)", out)
    assert faults and int(faults.group(1)) <= 10  # W3's small arrays: Python reuses their memory


class _NegateAsNumpy(mg.Function):
    forward = staticmethod(np.negative)  # apply runs it; it has no Python code of its own

    def backward(self, grad_out):
        return (-grad_out,)


def test_op_breakdown_takes_an_op_whose_forward_is_a_numpy_function():
    """It read forward.__code__ of every Function subclass: AttributeError for this one (the
    profile test failed after test_autograd.py defined such an op)."""
    profiler = cProfile.Profile()
    profiler.enable()
    _NegateAsNumpy.apply(mg.Tensor([1.0], requires_grad=True))
    profiler.disable()
    table = run.op_breakdown(pstats.Stats(profiler, stream=io.StringIO()), 1)
    assert table[-1][0] == "(total)"


@pytest.mark.parametrize(
    "argv, message",
    [(["--only", "W9"], "unknown \\['W9'\\]"), (["--profile", "W9"], "unknown workload 'W9'")],
)
def test_unknown_names_are_refused(argv, message):
    with pytest.raises(SystemExit, match=message):
        run.main(argv)


def test_help_describes_the_benchmark_in_whole_sentences(capsys):
    """--help printed the docstring's first line, which ends mid-sentence ("… of the same")."""
    with pytest.raises(SystemExit):
        run.main(["--help"])
    description = " ".join(capsys.readouterr().out.split("options:")[0].split())
    assert "of the same computation, timed in one run" in description
    assert description.endswith("printed as a table of ratios.")


@pytest.mark.parametrize("module", [run, references, workloads])
def test_docstring_examples(module):
    failures, attempted = doctest.testmod(module)
    assert failures == 0 and attempted > 0


def _fine_step():
    return lambda: None


def _broken_step(message):
    raise RuntimeError(message)


def test_an_optional_side_that_fails_is_left_out_with_a_warning(capsys):
    builders = {
        "minigrad": (_fine_step, ()),
        "ref": (_fine_step, ()),
        "torch": (_broken_step, ("Numpy is not available",)),
    }
    samples, state = run.measure_isolated(builders, repeat=3, min_sample=0.0, warmup=0)
    others, gemm = state["others"], state["gemm"]
    assert set(samples) == set(others) == set(gemm) == {"minigrad", "ref"}
    assert all(len(used) == 3 and all(wall > 0 for _, wall in used) for used in others.values())
    assert all(len(probes) == 3 and min(probes) > 0 for probes in gemm.values())
    assert len(samples["minigrad"]) == len(samples["ref"]) == 3  # still paired
    assert "torch side left out: RuntimeError: Numpy is not available" in capsys.readouterr().err
    with pytest.raises(RuntimeError, match="the ref side failed .*RuntimeError: bad"):
        run.measure_isolated({"ref": (_broken_step, ("bad",))}, repeat=1, min_sample=0.0)


def test_a_row_timed_while_the_cores_were_taken_away_is_unreliable():
    """Other processes used the cores while a side was timed: the GEMMs shared by both sides
    slowed, and the ratio is pulled towards 1, so neither "yes" nor "NO" can be read from it."""
    quiet, busy = (0.0, 1.0), (0.6, 1.0)  # (CPU seconds of others, seconds): one busy process
    result = {"ref": 1.02, "check": 0.0, "others": {"minigrad": [quiet], "ref": [busy, busy]}}
    cells = run._target_cells("W4", result)[1]
    expected = "unreliable (busy: others used 0.60 cores)"
    assert cells == f"{expected}; {expected}"
    result["others"]["ref"] = [busy, *[quiet] * 7]  # one disturbed round of eight: 0.075 cores
    assert run._target_cells("W4", result)[1] == "yes; yes"
    result["ref"] = 1.2
    assert run._target_cells("W4", result)[1] == "NO; NO"
    result["check"] = 1.0  # wrong results are reported first, busy or not
    assert run._target_cells("W4", result)[1].startswith("INVALID")


def test_a_row_timed_while_the_host_slowed_the_gemms_is_unreliable():
    """A virtual machine's host can slow its cores with no other process in sight: the GEMM
    probe of the row's processes, against the run's fastest, tells."""
    result = {"ref": 0.95, "check": 0.0, "gemm": {"minigrad": [2.2e-3], "ref": [2.0e-3, 2.4e-3]}}
    fastest = 1.0e-3
    expected = "unreliable (slowed: GEMMs 2.2× slower than the run's best)"
    assert run._target_cells("W4", result, fastest)[1] == f"{expected}; {expected}"
    result["gemm"] = {"minigrad": [1.1e-3], "ref": [1.0e-3, 1.2e-3]}
    assert run._target_cells("W4", result, fastest)[1] == "yes; yes"
    results = {"W1": {"gemm": {"ref": [0.9e-3]}}, "W4": result, "W3": {}}
    assert run.fastest_gemm(results) == 0.9e-3


def test_a_row_whose_reference_ran_slower_than_usual_here_is_unreliable(tmp_path, capsys):
    """A host that slowed the GEMMs through a whole run left no fast row to compare the probe
    with: W4 read 1.04, "met", with its reference at 2.52 ms instead of 1.89. The reference's
    usual time on this machine, kept between runs, tells."""
    path, key = tmp_path / "cache" / "record.json", "this machine"

    def timed(ref_median, ratio=1.04):
        samples = {"minigrad": [ref_median * ratio] * 3, "ref": [ref_median] * 3}
        result = {"samples": samples, "gemm": {"ref": [1e-3]}, "check": 0.0, "ref": ratio}
        return {"W4": {**result, "unit": "ms"}}

    first = timed(1.89e-3)
    run.compare_with_record(first, path, key, update=True)  # nothing to compare with yet
    assert first["W4"]["reference_slowed"] is None
    assert run._target_cells("W4", first["W4"])[1] == "yes; yes"
    slowed = timed(2.52e-3)
    run.compare_with_record(slowed, path, key, update=True)
    assert slowed["W4"]["reference_slowed"] == pytest.approx(2.52 / 1.89)
    expected = "unreliable (slowed: the reference 1.33× its usual time on this machine)"
    assert run._target_cells("W4", slowed["W4"])[1] == f"{expected}; {expected}"
    line = "reference 1.33× its usual time here (1.89 ms, the median of 1 earlier run)"
    assert line in run.others_lines(slowed)[0]
    for _ in range(3):  # the usual time is the median of the runs, not the fastest of them
        run.compare_with_record(timed(1.5e-3), path, key, update=True)
    again = timed(1.8e-3)
    run.compare_with_record(again, path, key, update=False)  # a quick run: not recorded
    assert again["W4"]["reference_usual"] == 1.5e-3  # the median of 1.89, 2.52 and 1.5 × 3
    assert again["W4"]["reference_runs"] == 5
    assert run._target_cells("W4", again["W4"])[1] == "yes; yes"
    disturbed = timed(3.0e-3)
    disturbed["W4"]["others"] = {"ref": [(0.6, 1.0)]}  # another process took 0.6 cores
    slowed_probe = {**timed(3.0e-3), "W1": {"gemm": {"ref": [0.5e-3]}}}  # probe 2× the best
    for results in (disturbed, slowed_probe):  # the other checks' unreliable rows: not recorded
        run.compare_with_record(results, path, key, update=True)
        assert results["W4"]["reference_slowed"] == 2.0
    assert len(json.loads(path.read_text())[key]["W4"]) == 5
    for _ in range(run.RECORD_RUNS):  # only the last RECORD_RUNS runs are kept
        run.compare_with_record(timed(1.6e-3), path, key, update=True)
    assert json.loads(path.read_text()) == {key: {"W4": [1.6e-3] * run.RECORD_RUNS}}
    run.compare_with_record(timed(1.6e-3), path, "another numpy", update=True)
    assert set(json.loads(path.read_text())) == {key, "another numpy"}
    path.write_text(json.dumps({key: [1.89e-3], "another numpy": {"W4": [1.6e-3]}}))
    run.compare_with_record(timed(2.0e-3), path, key, update=True)  # (it dropped the other's)
    expected_record = {key: {"W4": [2.0e-3]}, "another numpy": {"W4": [1.6e-3]}}
    assert json.loads(path.read_text()) == expected_record
    path.write_text(json.dumps({key: {"W4": [1.0, "fast", -2.0]}}))  # an entry not of times
    run.compare_with_record(timed(2.0e-3), path, key, update=True)
    assert json.loads(path.read_text()) == {key: {"W4": [2.0e-3]}}
    path.write_text("not json")  # a damaged record is started again
    run.compare_with_record(timed(2.0e-3), path, key, update=True)
    assert json.loads(path.read_text()) == {key: {"W4": [2.0e-3]}}
    assert [p.name for p in path.parent.iterdir()] == ["record.json"]  # (written whole, renamed)
    blocked = tmp_path / "a file"
    blocked.write_text("")
    run.compare_with_record(timed(2.0e-3), blocked / "record.json", key, update=True)
    assert "the record of reference times was not written" in capsys.readouterr().err


def test_the_record_is_kept_per_machine_numpy_blas_threads_and_references():
    info = run.machine_info()
    key = run.record_key(info)
    assert info["cpu"] in key and info["numpy"] in key and "references.py " in key
    assert run.record_key({**info, "numpy": "0.0"}) != key
    assert run.record_key({**info, "OPENBLAS_NUM_THREADS": "1"}) != key


def test_a_user_of_no_home_directory_runs_the_benchmark_with_no_record():
    """Path("~/.cache").expanduser() raised 'Could not determine home directory' when run.py
    was imported (a user id of no account, HOME unset), even with --record none."""
    code = (
        "import os, sys; os.path.expanduser = lambda path: path; "  # (as with no home known)
        f"sys.path.insert(0, {str(BENCHMARKS)!r}); import run; print(run.RECORD)"
    )
    environment = {key: value for key, value in os.environ.items() if key != "XDG_CACHE_HOME"}
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "none"


def test_the_gemm_probe_times_one_product():
    assert 0 < run.gemm_probe(size=32, repeat=2) < 1.0


def test_a_row_whose_results_differ_from_the_reference_is_invalid():
    result = {"ref": 0.5, "check": 1e-2}
    assert run._target_cells("W4", result)[1] == "INVALID: results differ; INVALID: results differ"
    result["check"] = 1e-6
    assert run._target_cells("W4", result)[1] == "yes; yes"
    result["check"] = run.max_relative_error([np.array([np.nan])], [np.array([1.0])])
    assert result["check"] == float("inf")  # NaN agrees with nothing
    assert run._target_cells("W4", result)[1].startswith("INVALID")


def test_the_conv_floor_times_the_gemms_alone():
    # Fresh outputs cost fresh, zero-filled pages each call (W2's ∂cols: 36 MiB, always new),
    # which minigrad's matmul does not pay: a floor that allocated them was no floor.
    floor = run.conv_variant("W1", "floor")
    floor()
    tracemalloc.start()
    floor()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 64 * 1024  # W1's three products hold 8.8 MiB
    rng = np.random.default_rng(3)
    cols, weight, grad_y = (rng.standard_normal(shape) for shape in [(6, 9), (9, 2), (6, 2)])
    out = [np.empty((6, 2)), np.empty((9, 2)), np.empty((6, 9))]
    results = references.conv_matmul_floor(cols, weight, grad_y, out)
    assert all(result is array for result, array in zip(results, out))
    for result, expected in zip(results, [cols @ weight, cols.T @ grad_y, grad_y @ weight.T]):
        np.testing.assert_allclose(result, expected)


def _lenet_stepping_twice(x, labels, params, lr):
    step, gradients = workloads.minigrad_lenet(x, labels, params, lr)

    def two_steps():
        step()
        step()

    return two_steps, gradients


def test_the_lenet_check_covers_the_timed_sgd_step():
    assert run.lenet_check() < run.CHECK_TOLERANCE
    # a timed step that does more than the reference's one SGD update is caught
    assert run.lenet_check(build=_lenet_stepping_twice) > run.CHECK_TOLERANCE


@pytest.mark.parametrize(
    "name, result, verdicts",
    [
        ("W3", {"samples": {"minigrad": [3.4e-6, 3.5e-6, 9e-6]}}, "yes; yes"),
        ("W3", {"samples": {"minigrad": [3.4e-6, 3.6e-6, 9e-6]}}, "NO; NO"),
        ("W2", {"ref": 0.9, "floor": 2.0}, "yes; NO; yes"),
        ("W2", {"ref": 0.4, "floor": 2.1}, "yes; yes; NO"),
        ("W2 memory", {"ref": 1.1}, "yes; NO"),
    ],
)
def test_verdicts_compare_each_figure_with_its_bound(name, result, verdicts):
    assert run._target_cells(name, result)[1] == verdicts


def test_measure_rotates_the_order_of_the_variants():
    calls = []
    variants = {name: (lambda name=name: calls.append(name)) for name in "abc"}
    run.measure(variants, repeat=3, min_sample=0.0, warmup=0)
    assert "".join(calls[3:]) == "abc" + "bca" + "cab"  # after one calibrating call each
