"""Sphinx configuration of the sklstm documentation.

Build with ``docs/build.sh`` (``sphinx-build -W -b html docs docs/_build/html``):
warnings are errors, and nothing is fetched from the network.
"""

import ast
import re
from pathlib import Path

import sklstm

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

# -- project -----------------------------------------------------------------

project = "sklstm"
author = "The sklstm developers"
copyright = "the sklstm developers"
release = sklstm.__version__
version = re.match(r"\d+\.\d+", release).group(0)

# -- general -----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "numpydoc",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path = []
nitpicky = False  # references to scikit-learn, torch, ... stay plain text

# autodoc + numpydoc: parameters, attributes and examples come from the
# numpydoc docstrings; methods are listed explicitly by the API page.
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Markdown pages (architecture, benchmarks, the changelog)
myst_heading_anchors = 3

# -- HTML --------------------------------------------------------------------

html_theme = "alabaster"
html_title = f"sklstm {release}"
html_static_path = ["_static"]
html_theme_options = {
    "description": "Recurrent networks as scikit-learn estimators",
    "fixed_sidebar": True,
}

# -- pages written by several people -----------------------------------------
#
# index.rst lists every page the guide is meant to have. A page that has not
# been written yet is left out of the table of contents instead of breaking
# the build, so a new page only has to be created to appear.

OPTIONAL_PAGES = [
    "estimators",
    "preprocessing",
    "datasets",
    "forecasting",
    "text",
    "tuning",
    "benchmarks",
    "architecture",
]


def _page_exists(name):
    return any((DOCS / f"{name}{suffix}").exists() for suffix in source_suffix)


def _drop_missing_pages(source):
    missing = {name for name in OPTIONAL_PAGES if not _page_exists(name)}
    lines = [line for line in source.splitlines(keepends=True)
             if line.strip() not in missing or not line.startswith("   ")]
    return "".join(lines)


# The examples page lists every script of examples/: its title is the first
# line of the script's docstring, then any figure the script saves (copied to
# _static/example_<name>.png by ``python docs/make_figures.py examples``), then
# the code.

EXAMPLES_MARKER = ".. list of the example scripts\n"


def _example_title(path):
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or path.stem
    return doc.strip().splitlines()[0].rstrip(".")


def _example_figures(path):
    names = re.findall(r"savefig\(\s*[\"']([^\"']+\.png)[\"']",
                       path.read_text(encoding="utf-8"))
    return [f"example_{name}" for name in names
            if (DOCS / "_static" / f"example_{name}").exists()]


def _examples_rst():
    scripts = sorted((ROOT / "examples").glob("*.py"),
                     key=lambda p: (p.stem != "quickstart", p.name))
    parts = []
    for script in scripts:
        title = _example_title(script)
        parts.append(f".. _example-{script.stem}:\n\n{title}\n{'-' * len(title)}\n\n"
                     f"``examples/{script.name}``\n\n")
        for name in _example_figures(script):
            parts.append(f".. image:: _static/{name}\n"
                         f"   :alt: figure drawn by examples/{script.name}\n\n")
        parts.append(f".. literalinclude:: ../examples/{script.name}\n"
                     "   :language: python\n   :linenos:\n\n")
    return "".join(parts)


def _fill_pages(app, docname, source):
    if docname == "index":
        source[0] = _drop_missing_pages(source[0])
    elif docname == "examples":
        source[0] = source[0].replace(EXAMPLES_MARKER, _examples_rst())


def _always_reread(app, env, added, changed, removed):
    # both pages depend on files Sphinx does not track (other pages, scripts)
    return [name for name in ("index", "examples") if name in env.found_docs]


def setup(app):
    app.connect("source-read", _fill_pages)
    app.connect("env-get-outdated", _always_reread)
    return {"parallel_read_safe": True}
