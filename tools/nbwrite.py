"""Write a notebook from a list of cell sources ("# %% [markdown]" starts a markdown cell).

Used to (re)generate examples/ and tests/notebooks/ from readable .py sources:
    python tools/nbwrite.py examples/src/claims_fraud.py examples/claims_fraud.ipynb
"""

import sys

import nbformat


def cells_from_py(text: str):
    chunks = [c for c in text.split("# %%") if c.strip()]
    cells = []
    for chunk in chunks:
        header, _, body = chunk.partition("\n")
        body = body.strip("\n")
        if "[markdown]" in header:
            lines = [ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in body.splitlines()]
            cells.append(nbformat.v4.new_markdown_cell("\n".join(lines)))
        else:
            cell = nbformat.v4.new_code_cell(body)
            if "parameters" in header:
                cell.metadata["tags"] = ["parameters"]
            cells.append(cell)
    return cells


def write(src: str, dst: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    with open(src) as fh:
        nb.cells = cells_from_py(fh.read())
    nbformat.write(nb, dst)


if __name__ == "__main__":
    for i in range(1, len(sys.argv), 2):
        write(sys.argv[i], sys.argv[i + 1])
