"""Build the validation notebook with nbformat from the cell-list template in ``templates/``.

The template (``validation_notebook.yaml``) is a list of markdown and code cells; each source is
rendered with Jinja. The parameters cell (tagged ``parameters``) holds the real values, so the
generated notebook also runs as is; papermill injects a re-run's values after it. Provenance and
the parameters go into ``metadata.mlready``, the way papermill records ``metadata.papermill``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from pathlib import Path

TEMPLATE_NAME = "validation_notebook.yaml"
NOTEBOOK_NAME = "validation.ipynb"
PARAMETER_NAMES = (
    "model_uri",
    "bundle_dir",
    "champion_uri",
    "champion_reason",
    "results_path",
    "policy_overrides",
    "tests_path",
    "tracking_uri",
)


def template_path(name: str = TEMPLATE_NAME) -> Path:
    """The template shipped in the wheel (``jupyter_mlready/templates``), else the repo's
    ``templates/``."""
    import jupyter_mlready

    package = Path(jupyter_mlready.__file__).parent
    for folder in (package / "templates", package.parent / "templates"):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(
        f"validation template {name} not found in {package / 'templates'} or "
        f"{package.parent / 'templates'}: reinstall jupyter_mlready."
    )


def _render(source: str, context: dict) -> str:
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=False)
    env.filters["py"] = repr
    return env.from_string(source).render(**context).rstrip("\n")


def generate_notebook(parameters: dict, name: str | None = None, template: Path | None = None):
    """The validation notebook (an nbformat NotebookNode) for ``parameters``.

    Args:
        parameters: values of PARAMETER_NAMES (missing ones are None; policy_overrides {}).
        name: model name shown in the title (default: from the model URI).
        template: a template file other than the shipped one.
    """
    import nbformat
    import yaml

    from .. import __version__

    params = {k: parameters.get(k) for k in PARAMETER_NAMES}
    params["policy_overrides"] = params["policy_overrides"] or {}
    unknown = sorted(set(parameters) - set(PARAMETER_NAMES))
    if unknown:
        raise ValueError(
            f"unknown validation parameter(s) {unknown}; known: {', '.join(PARAMETER_NAMES)}"
        )
    path = Path(template) if template else template_path()
    text = path.read_text()
    spec = yaml.safe_load(text)
    context = {
        "p": params,
        "model_uri": params["model_uri"],
        "version": __version__,
        "name": name or str(params["model_uri"] or "model"),
    }
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    sections = {}
    cells: list[dict] = []
    for item in spec["cells"]:
        cells += _section_cells() if item.get("checks") == "sections" else [item]
    for item in cells:
        if "markdown" in item:
            cell = nbformat.v4.new_markdown_cell(_render(item["markdown"], context))
        else:
            cell = nbformat.v4.new_code_cell(_render(item["code"], context))
            if item.get("section"):
                cell.metadata["mlready"] = {"section": item["section"]}
                sections[len(nb.cells)] = item["section"]
        if item.get("tags"):
            cell.metadata["tags"] = list(item["tags"])
        nb.cells.append(cell)
    nb.metadata["mlready"] = {
        "kind": "validation",
        "generator": f"jupyter_mlready {__version__}",
        "template": path.name,
        "template_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "generated_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "name": context["name"],
        "parameters": params,
        "sections": {str(k): v for k, v in sections.items()},
    }
    return nb


def _section_cells() -> list[dict]:
    """One markdown and one code cell per section of the check registry (numbered after the
    template's "1. Load the artifact")."""
    from .sections import validation_sections

    cells: list[dict] = []
    for n, (section, specs) in enumerate(validation_sections(), start=2):
        ids = ", ".join(f"`{s.id}`" for s in specs)
        questions = "\n".join(f"- `{s.id}`: {s.question}" for s in specs)
        text = f"## {n}. {section.title} ({ids})\n"
        if section.intro:
            text += section.intro + "\n"
        text += "\n" + questions + "\n"
        cells.append({"markdown": text.replace("{", "{{ '{' }}")})
        cells.append({"code": f"v.run_section({section.name!r});", "section": section.name})
    return cells


def cell_sections(nb) -> dict[int, str]:
    """Cell index -> section name, from the cells' ``metadata.mlready.section``."""
    return {
        i: c.metadata["mlready"]["section"]
        for i, c in enumerate(nb.cells)
        if c.get("metadata", {}).get("mlready", {}).get("section")
    }


def write_notebook(nb, path: str | Path) -> Path:
    import nbformat

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path
