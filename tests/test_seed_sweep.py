"""Seed sweeps: every check of every lab and flavour, planned and judged for 200 grader seeds.

No kernel and no framework: the calls of each plan are answered by NumPy stand-in students
(``tests/sweep_oracles.py``) through the real kernel-side harness. For every seed, ``plan()`` must not
raise, ``judge()`` must pass a correct solution (and, where the contract leaves a choice, another correct
one) and fail a solution with a typical bug (one per check, a few more for some). A check that
errors or flips on some seeds shows up here before a student meets it: run on the prepare-sequences check
as it was before commit 309a158, this sweep reports plan() raising under pandas 3 on 44 of its 200 seeds
(the reported seed 1841647661 among them) and the unclipped wrong solution passing on the 156 others.

Two economies keep this in the fast tier, neither of which changes what is judged:

* the flavours of a check with the same kind and parameters share one ``plan()`` per seed when that plan
  provably did not read ``ctx.framework`` (the context records it), so both would have made the same calls;
* a plan that drew nothing from its rng makes the same calls for every seed: where the judges did not read
  the rng either, it is judged once.
"""

from __future__ import annotations

import json
import sys
import zlib
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pytest
import sweep_oracles as oracles

from grader.course.labs import lab_ids
from grader.course.labs import load_lab as _load_lab
from grader.course.spec import CheckSpec, Lab
from grader.judging.checks import registry
from grader.judging.checks.base import CheckContext, Plan

# seeds as `grader check` draws them (below 2**31), plus the small ones and the seed of the pandas 3 report
SEEDS = (0, 1, 2, 1841647661, *(int(s) for s in np.random.default_rng(20261201).integers(0, 2**31, size=196)))
load_lab = cache(_load_lab)
# ``oracle`` checks are left out: their expected values are the reference notebook's answers, computed in a kernel
# (tests/test_oracle.py and tests/test_oracle_slow.py judge the kind, `grader validate` each lab's oracle checks)
CASES = [(lab_id, framework, check.id) for lab_id in lab_ids() for framework in load_lab(lab_id).flavours
         for check in load_lab(lab_id).checks_for(framework) if check.kind != "oracle"]


@dataclass
class RecordingContext(CheckContext):
    """A :class:`CheckContext` that notes which of its fields a check read (the flavour, the rng)."""

    read: set[str] = field(default_factory=set)

    def __getattribute__(self, name: str) -> Any:
        if name in ("framework", "rng"):
            object.__getattribute__(self, "read").add(name)
        return object.__getattribute__(self, name)


def _rng(check_id: str, seed: int) -> np.random.Generator:
    """The rng ``Grading.judge_check`` gives this check for this seed."""
    return np.random.default_rng([seed, zlib.crc32(check_id.encode())])


def _check(lab: Lab, framework: str, check_id: str) -> CheckSpec:
    return next(c for c in lab.checks_for(framework) if c.id == check_id)


def _same_check(lab_id: str, framework: str, check_id: str) -> tuple[str, ...]:
    """The flavours whose ``check_id`` has the same kind and parameters as in ``framework``."""
    lab = load_lab(lab_id)

    def key(fw: str) -> str:
        check = _check(lab, fw, check_id)
        return json.dumps([check.kind, check.params], sort_keys=True, default=str)

    return tuple(fw for fw in lab.flavours if any(c.id == check_id for c in lab.checks_for(fw))
                 and key(fw) == key(framework))


@cache
def sweep(lab_id: str, check_id: str, frameworks: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Plan and judge ``check_id`` for every seed in each of ``frameworks``; the problems found, by flavour."""
    lab = load_lab(lab_id)
    problems: dict[str, list[str]] = {fw: [] for fw in frameworks}
    judged_without_rng: set[str] = set()  # flavours judged once on a plan (and judges) that used no randomness
    for seed in SEEDS:
        shared: tuple[Plan, dict] | None = None
        for framework in frameworks:
            check = _check(lab, framework, check_id)
            kind = registry.get(check.kind)
            if shared is None:
                rng = _rng(check.id, seed)
                untouched = rng.bit_generator.state
                ctx = RecordingContext(framework, rng, lab.hidden_dir, lab.id)
                try:
                    plan = kind.plan(check.params, ctx)
                except Exception as exc:  # noqa: BLE001 - the sweep reports every seed that breaks
                    problems[framework].append(f"seed {seed}: plan() raised {type(exc).__name__}: {exc}")
                    continue
                after_plan = rng.bit_generator.state
                if "framework" not in ctx.read and not any(isinstance(v, CheckContext) for v in plan.state.values()):
                    shared = (plan, after_plan)
            else:
                plan, after_plan = shared
            if after_plan == untouched and framework in judged_without_rng:
                continue  # the same calls as for the seed judged, and judges that draw nothing: the same verdicts
            found, judge_read_rng = _judge(lab, framework, check, plan, after_plan, seed)
            problems[framework].extend(found)
            if after_plan == untouched and not judge_read_rng:
                judged_without_rng.add(framework)
    return {fw: tuple(found) for fw, found in problems.items()}


def _judge(lab: Lab, framework: str, check: CheckSpec, plan: Plan, after_plan: dict,
           seed: int) -> tuple[list[str], bool]:
    """Judge the stand-in students on ``plan``: the problems found, and whether a judge read the rng."""
    kind = registry.get(check.kind)
    kernel = oracles.kernel(framework)
    found, read_rng = [], False
    students = [("correct solution", oracles.student(lab.id, framework, seed), True),
                *((f"correct solution ({how})", ns, True) for how, ns in oracles.variants(lab.id, framework, check.id, seed)),
                *((f"wrong solution ({bug})", ns, False)
                  for bug, ns in oracles.wrong_students(lab.id, framework, check.id, check.params, seed))]
    for who, namespace, should_pass in students:
        rng = np.random.default_rng()
        rng.bit_generator.state = after_plan  # judge() sees the rng as plan() left it
        ctx = RecordingContext(framework, rng, lab.hidden_dir, lab.id)
        try:
            verdict = kind.judge(check.params, ctx, plan, kernel.answer(plan.calls, namespace))
        except Exception as exc:  # noqa: BLE001
            found.append(f"seed {seed}: judge() raised {type(exc).__name__} on the {who}: {exc}")
            continue
        finally:
            read_rng = read_rng or "rng" in ctx.read
        if verdict.passed != should_pass:
            found.append(f"seed {seed}: the {who} {'failed' if should_pass else 'passed'}: {verdict.message}")
    return found, read_rng


def test_the_sweep_covers_every_check_of_every_lab_and_flavour():
    assert len(set(SEEDS)) == len(SEEDS) >= 200
    assert {lab for lab, _, _ in CASES} == {"01-rnn-cells", "02-tracing-vs-passfail", "03-windowing-forecast",
                                             "04-gradient-clipping", "05-improving-rnns", "06-text-classification"}
    for lab_id in lab_ids():
        lab = load_lab(lab_id)
        for framework in lab.flavours:
            assert {c for lab_, fw, c in CASES if (lab_, fw) == (lab_id, framework)} == \
                {check.id for check in lab.checks_for(framework) if check.kind != "oracle"}
    assert [how for how, _ in oracles.variants("04-gradient-clipping", "keras", "make-optimizer-clips")] == \
        ["Adam instead of SGD"]


def test_a_plan_that_reads_the_flavour_is_not_shared():
    """The recording context sees the flavour read (lab 05's probes carry it), and not where it is not."""
    lab = load_lab("05-improving-rnns")
    for check_id, reads in (("dropout-training-only", True), ("predict-beats-naive", False)):
        check = _check(lab, "torch", check_id)
        ctx = RecordingContext("torch", _rng(check_id, 0), lab.hidden_dir, lab.id)
        registry.get(check.kind).plan(check.params, ctx)
        assert ("framework" in ctx.read) is reads
    assert _same_check("01-rnn-cells", "torch", "to-builtin-gru") == ("torch",)  # another kind in each flavour
    assert _same_check("01-rnn-cells", "torch", "rnn-step") == ("keras", "torch")


@pytest.mark.parametrize(("lab_id", "framework", "check_id"), CASES, ids=["/".join(case) for case in CASES])
def test_plan_and_judge_hold_on_every_seed(lab_id: str, framework: str, check_id: str):
    problems = sweep(lab_id, check_id, _same_check(lab_id, framework, check_id))[framework]
    assert not problems, (f"{lab_id} {framework} {check_id}: {len(problems)} problem(s) over {len(SEEDS)} seeds:\n"
                          + "\n".join(problems[:25]))


def test_the_sweep_imports_no_framework(monkeypatch):
    """Fast tier: the stand-ins and the kernel-side code they run never import TensorFlow, Keras or PyTorch."""
    frameworks = ("torch", "tensorflow", "keras")
    if any(name in sys.modules for name in frameworks):
        pytest.skip("a framework was imported by an earlier test of this session")
    monkeypatch.setattr(sys.modules[__name__], "SEEDS", SEEDS[:1])
    for case in CASES:
        sweep.__wrapped__(case[0], case[2], _same_check(*case))  # not the cached sweep: run it again
    assert not [name for name in frameworks if name in sys.modules]


class _InProcessSession:
    """A kernel session that runs the probe's code cell in this process, on a student namespace."""

    def __init__(self, namespace: dict[str, Any]) -> None:
        self.namespace = namespace

    def run_code(self, code: str, timeout: float) -> Any:
        exec(code, self.namespace)  # noqa: S102 - the grader's own probe cell
        return type("Outcome", (), {"status": "ok", "message": ""})()


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and np.array_equal(a, b, equal_nan=True))
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys() and \
            all(_same_value(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize(("lab_id", "check_id"), [("01-rnn-cells", "lstm-step"), ("01-rnn-cells", "to-builtin-lstm"),
                                                  ("01-rnn-cells", "count-params"), ("02-tracing-vs-passfail", "masked-loss"),
                                                  ("03-windowing-forecast", "build-gru"),
                                                  ("03-windowing-forecast", "split-chronological")])
def test_the_stand_in_kernel_answers_as_the_real_probe_path_does(monkeypatch, lab_id, check_id):
    """The in-process shortcut gives the very results of ``grader.kernel.probing.probe`` (JSON + .npz files, the
    kernel cell, bounded reading back) run on the same stand-in students, missing functions included."""
    import grader.kernel.probing as probing

    real_source = probing.source
    monkeypatch.setattr(probing, "source",
                        lambda name: oracles.NUMPY_ADAPTER if name == "numpy_adapter" else real_source(name))
    lab = load_lab(lab_id)
    check = _check(lab, "torch", check_id)
    kind = registry.get(check.kind)
    plan = kind.plan(check.params, CheckContext("torch", _rng(check_id, 3), lab.hidden_dir, lab.id))
    for fresh in (lambda: oracles.student(lab_id, "torch", 3), dict):  # a solution, then an empty notebook
        modules = ["harness", "numpy_adapter", *kind.kernel_modules]
        real = probing.probe(_InProcessSession(fresh()), plan.calls, modules, timeout=60)
        shortcut = oracles.kernel("torch").answer(plan.calls, fresh())
        assert real.keys() == set(shortcut)
        for call_id, result in real.items():
            other = shortcut[call_id]
            assert result.ok == other.ok and result.error == other.error, call_id
            assert _same_value(result.value, other.value), call_id
        assert all(r.ok for r in real.values()) is (fresh is not dict)


# -- the stand-in probes against the real ones (slow: PyTorch) -------------------------------------------

TORCH_SOLUTION = '''
import torch
from torch import nn


def train_step(model, optimizer, loss_fn, x, y, max_norm):
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return float(loss.item())


def input_gradient_norms(model, x):
    x = x.clone().requires_grad_(True)
    model(x).sum().backward()
    return x.grad.pow(2).sum(dim=(0, 2)).sqrt()


class Regressor(nn.Module):
    def __init__(self, n_features, units, dropout=0.0, recurrent_dropout=0.0, bidirectional=False, stateful=False):
        super().__init__()
        units = list(units) if isinstance(units, (list, tuple)) else [units]
        self.dropout, self.recurrent_dropout, self.stateful, self.state = dropout, recurrent_dropout, stateful, None
        if recurrent_dropout:
            self.cell = nn.GRUCell(n_features, units[0])
        else:
            sizes = [n_features, *units]
            self.grus = nn.ModuleList(nn.GRU(sizes[i], sizes[i + 1], batch_first=True, bidirectional=bidirectional)
                                      for i in range(len(units)))
        self.head = nn.Linear(units[-1] * (2 if bidirectional else 1), 1)

    def forward(self, x):
        x = nn.functional.dropout(x, self.dropout, self.training)
        if self.recurrent_dropout:
            h = x.new_zeros(x.shape[0], self.cell.hidden_size)
            mask = nn.functional.dropout(torch.ones_like(h), self.recurrent_dropout, self.training)
            for t in range(x.shape[1]):
                h = self.cell(x[:, t], h * mask)
            return self.head(h)
        for index, gru in enumerate(self.grus):
            x, last = gru(x, self.state if self.stateful and index == 0 else None)
            if self.stateful:
                self.state = last.detach()
        return self.head(x[:, -1])

    def reset_state(self):
        self.state = None


def build_regularized_gru(seq_len, n_features, units, l1=0.0, l2=0.0, dropout=0.0, recurrent_dropout=0.0):
    return Regressor(n_features, units, dropout, recurrent_dropout)


def build_stacked_gru(seq_len, n_features, units=(32, 16)):
    return Regressor(n_features, units)


def build_stateful_gru(batch_size, seq_len, n_features, units):
    return Regressor(n_features, units, stateful=True)


def build_bidirectional_gru(seq_len, n_features, units):
    return Regressor(n_features, units, bidirectional=True)


def regularization_penalty(model, l1, l2):
    weights = [p for name, p in model.named_parameters() if name.rsplit(".", 1)[-1].startswith("weight_ih")]
    return sum(l1 * w.abs().sum() + l2 * w.pow(2).sum() for w in weights)


def build_gru(seq_len, n_features, units=16):
    return Regressor(n_features, units)


def to_builtin(cell, p):
    if cell == "gru":
        raise ValueError("nn.GRU applies the reset gate after the matrix product")
    gates = {"rnn": "h", "lstm": "ifco"}[cell]
    n, m = p[f"W_{gates[0]}x"].shape
    layer = (nn.RNN if cell == "rnn" else nn.LSTM)(m, n, batch_first=True)
    with torch.no_grad():
        layer.weight_ih_l0.copy_(torch.cat([p[f"W_{g}x"] for g in gates]))
        layer.weight_hh_l0.copy_(torch.cat([p[f"W_{g}h"] for g in gates]))
        layer.bias_ih_l0.copy_(torch.cat([p[f"b_{g}"] for g in gates]))
        layer.bias_hh_l0.zero_()
    return layer
'''


def _structure(value: Any) -> Any:
    """The answer format without its values: keys, lengths, array ranks and dtypes kinds."""
    if isinstance(value, np.ndarray):
        return ("array", value.ndim, value.dtype.kind)
    if isinstance(value, dict):  # names of layers and parameters are the student's: "rnn.weight_ih_l0" counts as
        # "weight_ih_l0", Keras's "0:gru" as "0"
        # "weight_ih_l0", Keras's "0:gru" as "0"; a class's mro and a layer's config are as long as they are
        return {key.rsplit(".", 1)[-1].split(":")[0]: _structure(item) if key not in ("mro", "config") else key
                for key, item in value.items() if key not in ("layer", "reset")}
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_structure(item) for item in value])
    return type(value).__name__


KERAS_SOLUTION = '''
import keras


def make_optimizer(learning_rate, max_norm):
    return keras.optimizers.SGD(learning_rate=learning_rate, global_clipnorm=max_norm)


def input_gradient_norms(model, x):
    import tensorflow as tf

    x = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(model(x))
    return tf.sqrt(tf.reduce_sum(tape.gradient(total, x) ** 2, axis=(0, 2)))


def _model(seq_len, n_features, *layers, batch_size=None):
    return keras.Sequential([keras.Input((seq_len, n_features), batch_size=batch_size), *layers, keras.layers.Dense(1)])


def build_regularized_gru(seq_len, n_features, units, l1=0.0, l2=0.0, dropout=0.0, recurrent_dropout=0.0):
    return _model(seq_len, n_features, keras.layers.GRU(units, kernel_regularizer=keras.regularizers.L1L2(l1, l2),
                                                        dropout=dropout, recurrent_dropout=recurrent_dropout))


def build_stacked_gru(seq_len, n_features, units=(32, 16)):
    return _model(seq_len, n_features, *(keras.layers.GRU(u, return_sequences=i < len(units) - 1)
                                         for i, u in enumerate(units)))


def build_stateful_gru(batch_size, seq_len, n_features, units):
    return _model(seq_len, n_features, keras.layers.GRU(units, stateful=True), batch_size=batch_size)


def build_bidirectional_gru(seq_len, n_features, units):
    return _model(seq_len, n_features, keras.layers.Bidirectional(keras.layers.GRU(units)))


def build_gru(seq_len, n_features, units=16):
    return _model(seq_len, n_features, keras.layers.GRU(units))


def to_builtin(cell, p):
    import numpy as np

    gates = {"rnn": "h", "lstm": "ifco", "gru": "urh"}[cell]
    n, m = p[f"W_{gates[0]}x"].shape
    layer = {"rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM,
             "gru": lambda units, **kw: keras.layers.GRU(units, reset_after=False, **kw)}[cell](n, return_sequences=True)
    layer.build((None, None, m))
    layer.set_weights([np.concatenate([p[f"W_{g}x"].T for g in gates], axis=1),
                       np.concatenate([p[f"W_{g}h"].T for g in gates], axis=1),
                       np.concatenate([p[f"b_{g}"] for g in gates])])
    return layer
'''


def _against_real_probes(lab_id: str, check_id: str, framework: str, solution: str) -> None:
    from grader.kernel.inside import source

    lab = load_lab(lab_id)
    check = _check(lab, framework, check_id)
    kind = registry.get(check.kind)
    ctx = CheckContext(framework, _rng(check_id, 11), lab.hidden_dir, lab.id)
    plan = kind.plan(check.params, ctx)
    real_kernel = oracles.KernelStandIn(framework)  # the real harness, then the real adapter and probes over it
    for module in (f"{framework}_adapter", *kind.kernel_modules):
        exec(compile(source(module), f"<grader-{module}>", "exec"), real_kernel.ns)  # noqa: S102
    student: dict[str, Any] = {}
    exec(compile(solution, "<notebook>", "exec"), student)  # noqa: S102
    real = real_kernel.answer(plan.calls, student)
    stand_in = oracles.kernel(framework).answer(plan.calls, oracles.student(lab_id, framework, 11))
    for call in plan.calls:
        assert real[call["id"]].ok == stand_in[call["id"]].ok, real[call["id"]].error
        assert _structure(real[call["id"]].value) == _structure(stand_in[call["id"]].value), call["id"]
        if isinstance(real[call["id"]].value, dict) and "config" in real[call["id"]].value:
            real_config, own = real[call["id"]].value["config"], stand_in[call["id"]].value["config"]
            assert {k: type(v) for k, v in own.items()}.items() <= {k: type(v) for k, v in real_config.items()}.items()
    assert kind.judge(check.params, ctx, plan, real).passed
    assert kind.judge(check.params, ctx, plan, stand_in).passed


_LAB05 = ["penalty-in-loss", "dropout-training-only", "stateful-carries-and-resets", "stacked-returns-sequences",
          "bidirectional-reads-backwards"]


_LAYERS_AND_MODELS = [("01-rnn-cells", "to-builtin-rnn"), ("01-rnn-cells", "to-builtin-lstm"),
                      ("01-rnn-cells", "to-builtin-gru"), ("03-windowing-forecast", "build-gru")]


@pytest.mark.slow
@pytest.mark.parametrize(("lab_id", "check_id"), [*_LAYERS_AND_MODELS, ("04-gradient-clipping", "train-step-clips"),
                                                  ("04-gradient-clipping", "input-gradient-norms"),
                                                  *(("05-improving-rnns", c) for c in _LAB05)])
def test_the_torch_stand_in_probes_answer_in_the_real_probes_format(lab_id, check_id):
    """The real kernel-side probe on real PyTorch models answers in the format of its NumPy stand-in (values
    aside), and the check passes both."""
    _against_real_probes(lab_id, check_id, "torch", TORCH_SOLUTION)


@pytest.mark.slow
@pytest.mark.parametrize(("lab_id", "check_id"), [*_LAYERS_AND_MODELS, ("04-gradient-clipping", "make-optimizer-clips"),
                                                  ("04-gradient-clipping", "input-gradient-norms"),
                                                  *(("05-improving-rnns", c) for c in _LAB05)])
def test_the_keras_stand_in_probes_answer_in_the_real_probes_format(lab_id, check_id):
    """The same with real Keras models and optimizers."""
    _against_real_probes(lab_id, check_id, "keras", KERAS_SOLUTION)
