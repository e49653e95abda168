"""one_native_thread: native pools limited to one thread, libraries looked up once per import
set."""

import sys

from threadpoolctl import threadpool_info

import jupyter_mlready.threads as threads


def _openmp_threads():
    return {
        lib["filepath"]: lib["num_threads"]
        for lib in threadpool_info()
        if lib["user_api"] == "openmp"
    }


def test_limits_to_one_thread_and_restores(monkeypatch):
    import sklearn.ensemble  # noqa: F401 - loads scikit-learn's OpenMP runtime

    before = _openmp_threads()
    assert before, "scikit-learn's OpenMP runtime should be loaded"
    with threads.one_native_thread():
        assert set(_openmp_threads().values()) == {1}
    assert _openmp_threads() == before


def test_the_library_lookup_is_reused_until_a_new_module_is_imported(monkeypatch):
    monkeypatch.setattr(threads, "_controller", None)
    with threads.one_native_thread():
        pass
    first = threads._controller[1]
    with threads.one_native_thread():
        pass
    assert threads._controller[1] is first  # no second lookup
    monkeypatch.setitem(sys.modules, "some_new_native_extension", object())
    with threads.one_native_thread():
        pass
    assert threads._controller[1] is not first  # a new import: looked up again
