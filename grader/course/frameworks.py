"""The two flavours: what the kernel needs before student code runs, and the kernel-side adapter."""

from __future__ import annotations

from dataclasses import dataclass

from grader.errors import InputError


@dataclass(frozen=True)
class Framework:
    name: str
    title: str
    adapter: str  # module of grader/kernel/inside with to_tensor / to_numpy / describe_layer / run_layer
    seed_code: str  # runs in the kernel before the student's first cell, with SEED and THREADS bound

    def environment(self, threads: int) -> dict[str, str]:
        """Variables set when the kernel starts: thread counts, quiet logs, CPU only, no hash randomness."""
        count = str(threads)
        return {
            "PYTHONHASHSEED": "0",
            "OMP_NUM_THREADS": count,
            "MKL_NUM_THREADS": count,
            "OPENBLAS_NUM_THREADS": count,
            "TF_NUM_INTRAOP_THREADS": count,
            "TF_NUM_INTEROP_THREADS": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "TF_ENABLE_ONEDNN_OPTS": "0",
            "KERAS_BACKEND": "tensorflow",
            "CUDA_VISIBLE_DEVICES": "",
            "MPLBACKEND": "Agg",
        }

    def setup_code(self, seed: int, threads: int) -> str:
        common = (
            "import random as _random\nimport numpy as _np\n"
            f"SEED, THREADS = {seed}, {threads}\n"
            "_random.seed(SEED)\n_np.random.seed(SEED)\n"
        )
        return common + self.seed_code + "\ndel SEED, THREADS, _random, _np\n"


_KERAS = Framework(
    name="keras",
    title="Keras 3 (TensorFlow backend)",
    adapter="keras_adapter",
    seed_code=(
        "import tensorflow as _tf\nimport keras as _keras\n"
        "_tf.config.threading.set_intra_op_parallelism_threads(THREADS)\n"
        "_tf.config.threading.set_inter_op_parallelism_threads(1)\n"
        "_keras.utils.set_random_seed(SEED)\n"
        "del _tf, _keras\n"
    ),
)

_TORCH = Framework(
    name="torch",
    title="PyTorch",
    adapter="torch_adapter",
    seed_code=(
        "import torch as _torch\n"
        "_torch.manual_seed(SEED)\n_torch.set_num_threads(THREADS)\n"
        "del _torch\n"
    ),
)

_REGISTRY: dict[str, Framework] = {}


def register(framework: Framework) -> None:
    _REGISTRY[framework.name] = framework


def get(name: str) -> Framework:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise InputError(f"no framework named {name!r}; choose one of {', '.join(sorted(_REGISTRY))}") from None


def names() -> list[str]:
    return sorted(_REGISTRY)


register(_KERAS)
register(_TORCH)
