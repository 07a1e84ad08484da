"""The project's promises: packaging in sync, notebook hygiene, README and CI agree, import is inert."""

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from notebook_list import NOTEBOOKS  # scripts/ is on pytest's pythonpath (pyproject.toml)

ROOT = Path(__file__).resolve().parent.parent
# pip name -> conda-forge name, where they differ
CONDA_NAME = {"torch": "pytorch", "opencv-python-headless": "opencv"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def _requirements(meta: dict) -> list[str]:
    """The dependencies plus the test extra, with the extras it includes ("aehelpers[book]") expanded."""
    reqs, extras = list(meta["dependencies"]), ["test"]
    while extras:
        for req in meta["optional-dependencies"][extras.pop()]:
            own = re.fullmatch(r"aehelpers\[([a-z0-9_-]+)\]", req.strip())
            if own:
                extras.append(own.group(1))
            else:
                reqs.append(req)
    return reqs


def test_environment_yml_names_the_same_packages_as_pyproject():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pip_names = {_name(r) for r in _requirements(meta)}
    expected = {CONDA_NAME.get(n, n) for n in pip_names} | {"python", "pip"}
    conda = set()
    text = (ROOT / "environment.yml").read_text()
    for line in text[text.index("dependencies:"):].splitlines():
        m = re.match(r"^  - ([A-Za-z0-9_.-]+)", line)  # top-level dependency entries only
        if m:
            conda.add(_name(m.group(1)))
    assert conda == expected
    # aehelpers itself goes in with `pip install --no-deps -e .`: a pip section in the file would let pip
    # reinstall conda's packages under their PyPI names (opencv-python-headless next to conda's opencv).
    assert "- pip:" not in text and "pip install --no-deps -e ." in text


def test_dependencies_have_lower_bounds_not_pins():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for req in _requirements(meta):
        assert ">=" in req and "==" not in req and "<" not in req.replace("<=", ""), req


def test_notebooks_exist_and_are_numbered():
    assert NOTEBOOKS, "no notebooks found"
    for nb in NOTEBOOKS:
        assert re.fullmatch(r"\d\d-[a-z0-9-]+\.ipynb", nb.name), nb.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_hygiene(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    for cell in code:
        assert cell.get("outputs") == [] and cell.get("execution_count") is None, "commit without outputs"
    setup = "".join(code[0]["source"])
    assert "ae.set_style(" in setup and "describe_data()" in setup and "SEED" in setup, \
        "the first code cell is the setup cell: style, seed, device, data in use"
    assert nb["cells"][0]["cell_type"] == "markdown", "a notebook opens with a title"
    for cell in code:
        src = "".join(cell["source"])
        assert not re.search(r"^\s*#\s*(model|ae|fit|train)\w*\s*=", src, re.M), "no comment/uncomment switches"
        if "plt.subplots" in src or "ae.show_" in src:
            assert "plt.show()" in src or "display(" in src, "plotting cells end with plt.show()"


def test_readme_map_lists_every_notebook_and_ci_runs_its_test_command():
    readme = (ROOT / "README.md").read_text()
    for nb in NOTEBOOKS:
        assert f"notebooks/{nb.name}" in readme, f"{nb.name} missing from the README's notebook map"
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make lab" in readme
    assert re.search(r"^make test$", ci, re.M), ".ci/run runs exactly the README's test command"
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^test:", makefile, re.M) and re.search(r"^lab:", makefile, re.M)
    assert "-m pytest" in makefile


IMPORT_CHECK = """
import sys, os
import matplotlib, torch
rc = dict(matplotlib.rcParams)
rng = torch.get_rng_state().clone()
import aehelpers
assert dict(matplotlib.rcParams) == rc, "import changed matplotlib settings"
assert torch.equal(torch.get_rng_state(), rng), "import touched the RNG"
heavy = [m for m in ("torchvision", "cv2", "ipywidgets") if m in sys.modules]  # (torch itself imports tqdm)
assert not heavy, heavy
assert os.listdir(os.environ["AEHELPERS_DATA"]) == [], "import wrote files"
"""


@pytest.mark.slow
def test_import_has_no_side_effects(tmp_path):
    env = {"AEHELPERS_DATA": str(tmp_path), "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "-c", IMPORT_CHECK], env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""


def _floor() -> tuple[int, int]:
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    major, minor = re.fullmatch(r">=(\d+)\.(\d+)", spec.strip()).groups()
    return int(major), int(minor)


def test_the_python_floor_is_declared_alike_everywhere():
    floor = "%d.%d" % _floor()
    assert f"Python ≥ {floor}" in (ROOT / "README.md").read_text()
    assert f"python>={floor}" in (ROOT / "environment.yml").read_text()
    assert f"sys.version_info < ({floor.replace('.', ', ')})" in (ROOT / "Makefile").read_text()


def _notebook_code(path: Path) -> str:
    """A notebook's code cells as one Python file, cell after cell."""
    cells = json.loads(path.read_text())["cells"]
    return "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code") + "\n"


COMPILE = "import sys\nfor name in sys.argv[1:]:\n    compile(open(name, encoding='utf-8').read(), name, 'exec')\n"


def test_the_code_runs_on_the_lowest_supported_python(tmp_path):
    """Every Python file and every notebook's code compiles with the lowest supported Python
    (e.g. no f-string nesting the same quotes, new in 3.12): with this interpreter when it is
    that version, as in CI, else with pythonX.Y from the PATH."""
    import shutil

    floor = _floor()
    exe = sys.executable if sys.version_info[:2] == floor else shutil.which("python%d.%d" % floor)
    if exe is None:
        pytest.skip(f"python{floor[0]}.{floor[1]} is not installed here: the lowest supported Python is not checked")
    files = [str(p) for d in ("aehelpers", "tests", "tests_live", "scripts", "benchmarks", "docs")
             for p in (ROOT / d).rglob("*.py")] + [str(ROOT / "conftest.py")]
    for path in NOTEBOOKS:
        (tmp_path / f"{path.stem}.py").write_text(_notebook_code(path), encoding="utf-8")
        files.append(str(tmp_path / f"{path.stem}.py"))
    run = subprocess.run([exe, "-c", COMPILE, *files], capture_output=True, text=True)
    assert run.returncode == 0, f"python{floor[0]}.{floor[1]} cannot compile:\n{run.stderr[-3000:]}"


# Exported although no notebook calls them: what a user catches or subclasses, and the corruption
# that fit's docstring names for training a denoiser.
EXPORTED_FOR_USERS = {"MnistDataError", "TrainingDivergedError", "ClaimNotReproduced", "EncoderDecoder",
                      "dropout_corruption"}


def _names_used_as_ae_x() -> set[str]:
    """Every ``ae.X`` in the notebooks' code and in the exercise checks (their hints name helpers)."""
    sources = ["\n".join("".join(c["source"]) for c in json.loads(p.read_text())["cells"] if c["cell_type"] == "code")
               for p in NOTEBOOKS]
    sources += [p.read_text() for p in (ROOT / "aehelpers" / "exercises").glob("*.py")]
    return {name for src in sources for name in re.findall(r"\bae\.([A-Za-z_]\w*)", src)}


def test_the_public_api_is_what_the_notebooks_and_exercises_use():
    import inspect

    import aehelpers as ae

    init = (ROOT / "aehelpers" / "__init__.py").read_text()
    assert "import *" not in init, "explicit imports only"
    public = {n for n, v in vars(ae).items() if not n.startswith("_") and (not inspect.ismodule(v) or n == "exercises")}
    assert set(ae.__all__) == public, "aehelpers.__all__ lists exactly what the package exports"
    assert len(ae.__all__) == len(set(ae.__all__))
    used = _names_used_as_ae_x()
    assert not used - public, f"notebooks or exercises call ae.X names the package does not export: {used - public}"
    unused = public - used - EXPORTED_FOR_USERS
    assert not unused, f"exported but used by no notebook or exercise (export less, or use it): {sorted(unused)}"


def test_the_scripts_and_benchmarks_call_only_what_the_package_exports():
    """A name dropped from the public API must not leave a benchmark or script broken (found once:
    bench_training.py called ``ae.data_source()`` after it had left ``__all__``)."""
    import aehelpers as ae

    files = [*(ROOT / "benchmarks").glob("*.py"), *(ROOT / "scripts").glob("*.py"),
             *(ROOT / "docs" / "book").glob("*.py")]
    missing = {f"{p.relative_to(ROOT)}: ae.{name}" for p in files
               for name in re.findall(r"\bae\.([A-Za-z_]\w*)", p.read_text()) if not hasattr(ae, name)}
    assert not missing, "calls to names aehelpers does not export: " + ", ".join(sorted(missing))


def _modules():
    return sorted(p for p in (ROOT / "aehelpers").rglob("*.py"))


def _dotted(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


@pytest.mark.slow
def test_every_module_imports_alone_and_names_what_it_exports():
    """Each module imported first, in a fresh interpreter: an import cycle would fail here."""
    names = [_dotted(p) for p in _modules()]
    code = ("import importlib, sys\n"
            "for name in sys.argv[1:]:\n"
            "    for loaded in [m for m in sys.modules if m.startswith('aehelpers')]:\n"
            "        del sys.modules[loaded]\n"
            "    module = importlib.import_module(name)\n"
            "    missing = [n for n in getattr(module, '__all__', []) if not hasattr(module, n)]\n"
            "    assert not missing, f'{name}.__all__ names {missing}, which it lacks'\n")
    run = subprocess.run([sys.executable, "-c", code, *names], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-3000:]


def test_no_module_imports_a_private_name_from_another():
    import ast

    found = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.level > 0 or (node.module or "").startswith("aehelpers")):
                parts = (node.module or "").split(".")
                private = [a.name for a in node.names if a.name.startswith("_")] + [p for p in parts if p.startswith("_")]
                if private:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {private}")
    assert not found, "\n".join(found)


def test_fit_is_the_only_training_loop():
    """Outside the exercises and energy minimisation (which optimises codes, not weights),
    ``backward()`` appears once in aehelpers: in fit."""
    found = [f"{p.relative_to(ROOT)}:{i}" for p in _modules() if "exercises" not in p.parts and p.name != "energy.py"
             for i, line in enumerate(p.read_text().splitlines(), 1) if "backward()" in line]
    assert len(found) == 1 and found[0].startswith("aehelpers/training.py:"), found


def _run_ci(tmp_path, with_shared: bool) -> tuple[subprocess.CompletedProcess, str]:
    """.ci/run in a copy of the checkout, with stand-ins for `make` (it records its arguments and
    AEHELPERS_DATASET) and for `chromium` (so nothing is installed); ../shared/mnist holds four
    tiny .gz files when ``with_shared``. Returns the run and what `make` recorded."""
    import gzip
    import shutil

    repo, bin_dir, log = tmp_path / "repo", tmp_path / "bin", tmp_path / "make.log"
    (repo / ".ci").mkdir(parents=True)
    shutil.copy(ROOT / ".ci" / "run", repo / ".ci" / "run")
    bin_dir.mkdir()
    (bin_dir / "make").write_text(f'#!/bin/sh\necho "$* AEHELPERS_DATASET=${{AEHELPERS_DATASET-unset}}" >> {log}\n')
    (bin_dir / "chromium").write_text("#!/bin/sh\n")
    for tool in ("make", "chromium"):
        (bin_dir / tool).chmod(0o755)
    if with_shared:
        (tmp_path / "shared" / "mnist").mkdir(parents=True)
        for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                     "t10k-labels-idx1-ubyte"):
            (tmp_path / "shared" / "mnist" / f"{name}.gz").write_bytes(gzip.compress(name.encode()))
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}
    run = subprocess.run(["bash", str(repo / ".ci" / "run")], env=env, capture_output=True, text=True, timeout=60)
    return run, log.read_text() if log.exists() else ""


def test_ci_asserts_the_claims_on_full_mnist(tmp_path):
    """With ../shared/mnist beside the checkout, .ci/run seeds data/MNIST/raw from it and runs
    `make test` with AEHELPERS_DATASET=full (no silent fallback to the sample, whose claims are
    only printed); without it, the variable stays unset."""
    run, made = _run_ci(tmp_path / "seeded", with_shared=True)
    assert run.returncode == 0, run.stderr
    assert made == "test AEHELPERS_DATASET=full\n"
    raw = tmp_path / "seeded" / "repo" / "data" / "MNIST" / "raw"
    assert (raw / "t10k-labels-idx1-ubyte").read_bytes() == b"t10k-labels-idx1-ubyte", "decompressed"
    run, made = _run_ci(tmp_path / "bare", with_shared=False)
    assert run.returncode == 0, run.stderr
    assert made == "test AEHELPERS_DATASET=unset\n"


def _make(tmp_path, python_script: str):
    fake = tmp_path / "fakepython"
    fake.write_text("#!/bin/sh\n" + python_script)
    fake.chmod(0o755)
    venv = tmp_path / "venv"
    return subprocess.run(["make", "-C", str(ROOT), f"PYTHON={fake}", f"VENV={venv}", f"{venv}/.installed"],
                          capture_output=True, text=True, timeout=120), venv


def test_make_says_what_to_install_when_venv_is_missing(tmp_path):
    # a Python that passes the version check but whose venv module is missing (Debian without python3-venv)
    run, venv = _make(tmp_path, 'case "$2" in venv) echo "No module named venv" >&2; exit 1;; esac\nexit 0\n')
    assert run.returncode != 0 and "sudo apt install python3-venv" in run.stdout + run.stderr
    assert not venv.exists()


def test_make_removes_a_venv_without_pip_and_says_why(tmp_path):
    # venv "succeeds" but leaves no pip: every later make would fail, so make removes it and explains
    script = ('case "$2" in venv) mkdir -p "$3/bin"; printf \'#!/bin/sh\\nexit 1\\n\' > "$3/bin/python"; '
              'chmod +x "$3/bin/python";; esac\nexit 0\n')
    run, venv = _make(tmp_path, script)
    assert run.returncode != 0 and "has no pip" in run.stdout + run.stderr
    assert not venv.exists(), "the broken venv is removed, so the next make starts clean"


@pytest.mark.slow
def test_a_non_editable_install_carries_the_bundled_sample(tmp_path):
    """pip install . (not -e): the sample must travel inside the wheel. Built from a copy of the
    package's files, so that the build leaves nothing in the checkout (setuptools writes build/)."""
    import shutil
    import zipfile

    src, dist = tmp_path / "src", tmp_path / "dist"
    shutil.copytree(ROOT / "aehelpers", src / "aehelpers", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(src)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    wheel = next(dist.glob("aehelpers-*.whl"))
    assert "aehelpers/mnist-sample.npz" in zipfile.ZipFile(wheel).namelist()
