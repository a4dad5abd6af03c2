"""pyflowtools: a flow-tools compatible NetFlow filter suite over a C core."""
import glob

from setuptools import setup

setup(
    name="pyflowtools",
    version="0.1.0",
    description="flow-tools 0.68 compatible NetFlow tools in Python over a small C core",
    packages=["pyflowtools", "pyflowtools.commands", "pyflowtools.core", "pyflowtools.filters",
              "pyflowtools.io", "pyflowtools.netflow", "pyflowtools.parallel", "pyflowtools.report",
              "pyflowtools.util"],
    package_data={"pyflowtools": ["data/*"]},
    scripts=sorted(glob.glob("bin/flow-*")),
    data_files=[("share/man/man1", sorted(glob.glob("man/*.1"))),
                ("share/man/man5", sorted(glob.glob("man/*.5"))),
                ("share/man/man7", sorted(glob.glob("man/*.7")))],
    setup_requires=["cffi>=1.15"],
    install_requires=["cffi>=1.15"],
    # flow-export -f 5 / -f 3: the database drivers (optional)
    # Arrow/Parquet (to_arrow(), flow-export/flow-import -f 6); pandas for to_pandas()
    extras_require={"postgresql": ["psycopg[binary]>=3.1"], "mysql": ["PyMySQL>=1.0"],
                    "db": ["psycopg[binary]>=3.1", "PyMySQL>=1.0"],
                    "arrow": ["pyarrow>=14"], "pandas": ["pyarrow>=14", "pandas"],
                    # -j needs nothing; --dask the distributed scheduler's client
                    # (fsspec, for URL operands, comes with dask)
                    "dask": ["dask[distributed]"],
                    # flow-hunt -H: the charts of the HTML report
                    "html": ["plotly>=5"]},
    cffi_modules=["csrc/build_ftcore.py:ffibuilder"],
    python_requires=">=3.9",
    zip_safe=False,
)
