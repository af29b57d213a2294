"""International airline passengers per month (thousands), January 1949 - December 1960: 144 values.

Box & Jenkins, "Time Series Analysis: Forecasting and Control", series G (R's
``AirPassengers``). File: ``<GLASSNET_DATA>/timeseries/airline-passengers.csv``
(columns ``Date`` YYYY-MM and ``Count``).

>>> months, passengers = load_data()  # doctest: +SKIP
>>> months[0], passengers[0]  # doctest: +SKIP
('1949-01', 112.0)
"""

from __future__ import annotations

import csv
import os

import numpy as np

from glassnet.datasets.files import RemoteFile
from glassnet.datasets.local_files import require
from glassnet.errors import DataFileError

SOURCE = "https://raw.githubusercontent.com/jbrownlee/Datasets/master/airline-passengers.csv"
FILE = RemoteFile("airline-passengers.csv", (SOURCE,),
                  sha256="edda452ef668fd707deb3dcbdf993dd63627f56ab9037cef019a69dc61d0e670")


def load_data(data_dir: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(months, passengers)``: 'YYYY-MM' strings and float32 counts (thousands), in time order.

    >>> months, passengers = load_data()  # doctest: +SKIP
    >>> len(passengers), passengers.max()  # doctest: +SKIP
    (144, 622.0)
    """
    path = require("timeseries", FILE, SOURCE, data_dir)
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows or set(rows[0]) != {"Date", "Count"}:
        raise DataFileError(f"{path}: expected the columns Date and Count.")
    return np.array([r["Date"] for r in rows]), np.array([float(r["Count"]) for r in rows], dtype=np.float32)


__all__ = ["load_data"]
