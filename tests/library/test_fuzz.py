"""Fuzzing the loaders: random and mutated library and proposal files load or raise a markovwire error.

Mutations start from the shipped files: keys dropped or misspelt, values swapped
or replaced by hostile scalars (huge numbers, nan, booleans, long or code-like
text), deep nesting, and Python tags in the text. Any exception other than a
:class:`~markovwire.MarkovwireError` is a bug. A generous alarm guards against
hangs (no example comes near it; it is not a timing test).
"""
from __future__ import annotations

import contextlib
import copy
import signal

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from markovwire.errors import MarkovwireError
from markovwire.library.loader import load_library_text
from markovwire.library.proposal import proposal_from_text
from markovwire.library.schema import ComponentSpec, LibraryFile, ProposalFile, QuerySpec
from markovwire.library.shipped import alignment_path, proposal_paths, proposals_dir

HANG_SECONDS = 120
LIBRARY = yaml.safe_load(alignment_path().read_text())
PROPOSALS = {p.stem: yaml.safe_load(p.read_text()) for p in proposal_paths()}
KEYS = sorted(set(LibraryFile.model_fields) | set(ProposalFile.model_fields) | set(ComponentSpec.model_fields)
              | set(QuerySpec.model_fields) | {"table", "function", "construction", "args", "domain", "default"})

SCALARS = st.one_of(
    st.integers(-10, 10), st.sampled_from([10 ** 30, -(10 ** 30), 2 ** 63, 10 ** 400]),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1e308, -0.0, 5e-324]),
    st.booleans(), st.none(),
    st.text(max_size=20),
    st.sampled_from(["x" * 50_000, "1 - ", "2**2**2**2**2**30", "__import__('os').system('true')",
                     "beta.__class__", "Phi(" * 60, "in.x -> out.y", "Range(10**9)", "Sum(Act, Act)",
                     "copy(Act, 1000)", "_", "episode", "catastrophe", "-1e400", "nan"]),
)


def deep(depth: int, kind: str):
    out = "x"
    for _ in range(depth):
        out = [out] if kind == "list" else {"a": out}
    return out


VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=4), st.dictionaries(st.sampled_from(KEYS), SCALARS, max_size=3),
                   st.builds(deep, st.sampled_from([30, 200]), st.sampled_from(["list", "dict"])))


def paths(tree, prefix=()):
    """Every path to a node of the tree (mapping keys and list indices)."""
    out = [prefix]
    if isinstance(tree, dict):
        for k, v in tree.items():
            out += paths(v, prefix + (k,))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            out += paths(v, prefix + (i,))
    return out


def get(tree, path):
    for p in path:
        tree = tree[p]
    return tree


def put(tree, path, value):
    if not path:
        return value
    get(tree, path[:-1])[path[-1]] = value
    return tree


@st.composite
def mutated(draw, base):
    """A copy of ``base`` with one to three random mutations."""
    tree = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        all_paths = paths(tree)
        path = draw(st.sampled_from(all_paths))
        op = draw(st.sampled_from(["drop", "swap", "replace", "rename", "replace"]))
        parent = get(tree, path[:-1]) if path else None
        if op == "drop" and path and isinstance(parent, dict):
            del parent[path[-1]]
        elif op == "drop" and path and isinstance(parent, list):
            parent.pop(path[-1])
        elif op == "rename" and path and isinstance(parent, dict):
            key = path[-1]
            parent[draw(st.sampled_from([f"{key}x", str(key)[:-1] or "k", "kernal", "_", 1, True]))] = parent.pop(key)
        elif op == "swap":
            other = draw(st.sampled_from(all_paths))
            if path and other and path[:len(other)] != other and other[:len(path)] != path:
                a, b = copy.deepcopy(get(tree, path)), copy.deepcopy(get(tree, other))
                tree = put(tree, path, b)
                tree = put(tree, other, a)
        else:
            tree = put(tree, path, draw(VALUES))
    return tree


@st.composite
def texts(draw, base):
    """YAML text of a mutated document, sometimes with a mutation of the text itself."""
    tree = draw(mutated(base))
    try:
        text = yaml.safe_dump(tree, sort_keys=False, allow_unicode=True)
    except (yaml.YAMLError, RecursionError):
        text = "name: x\n"
    how = draw(st.sampled_from(["none", "none", "tag", "truncate", "insert"]))
    lines = text.split("\n")
    i = draw(st.integers(0, max(len(lines) - 1, 0)))
    if how == "tag" and ":" in lines[i]:
        key, _, _ = lines[i].partition(":")
        lines[i] = f"{key}: !!python/object/apply:os.system ['true']"
    elif how == "truncate":
        lines = lines[:i]
    elif how == "insert":
        lines.insert(i, draw(st.sampled_from(["\t- x", "  - &a [*a]", "{", "%YAML 9.9", "? [a]\n: b", "\x00",
                                              "a: *undefined", "<<: [1, 2]"])))
    return "\n".join(lines)


@contextlib.contextmanager
def no_hang():
    def fail(signum, frame):
        raise AssertionError(f"loading took more than {HANG_SECONDS} s: a hang")
    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(HANG_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def loads_or_refuses(load, text):
    with no_hang():
        try:
            load(text)
        except MarkovwireError as err:
            assert str(err)  # every refusal has a message


def load_library_fully(text):
    load_library_text(text, "fuzz.yaml").check()


def load_proposal_fully(text):
    p = proposal_from_text(text, "fuzz.yaml", proposals_dir() / "fuzz.yaml")
    p.parameters  # touches the net and the queries' tables


FUZZ = settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                        HealthCheck.filter_too_much])


@settings(FUZZ, max_examples=20)  # each example loads the whole shipped library (~2 s): CI stays under 15 minutes
@given(texts(LIBRARY))
def test_mutated_libraries_load_or_raise_a_markovwire_error(text):
    loads_or_refuses(load_library_fully, text)


@FUZZ
@given(st.sampled_from(sorted(PROPOSALS)).flatmap(lambda name: texts(PROPOSALS[name])))
def test_mutated_proposals_load_or_raise_a_markovwire_error(text):
    loads_or_refuses(load_proposal_fully, text)


DOCS = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(st.sampled_from(KEYS), inner, max_size=5)),
                    max_leaves=25)


@settings(max_examples=100)
@given(DOCS)
def test_random_documents_load_or_raise_a_markovwire_error(doc):
    try:
        text = yaml.safe_dump(doc)
    except (yaml.YAMLError, RecursionError):
        return
    loads_or_refuses(load_library_fully, text)
    loads_or_refuses(load_proposal_fully, text)


@settings(max_examples=100)
@given(st.text(max_size=300))
def test_random_text_loads_or_raises_a_markovwire_error(text):
    loads_or_refuses(load_library_fully, text)
    loads_or_refuses(load_proposal_fully, text)
