#!/usr/bin/env python3
"""Generates the SciPy reference fixtures for tests/AcqService.Dsp.Tests.

Run with the system interpreter that has SciPy (apt: python3-scipy python3-numpy):

    /usr/bin/python3 tools/dsp_reference.py

Every fixture states all parameters it was made with and stores its input signals, so the C# tests never
regenerate signals. Inputs are rounded to 1e-6 so that their JSON text stays short; the rounded doubles ARE the
inputs (Python's repr round-trips, so C# parses the identical values). Outputs are written with repr (17
significant digits), i.e. exactly.
"""

import json
import os
import sys

import numpy as np
import scipy
import scipy.signal as sig

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "AcqService.Dsp.Tests", "Fixtures")
SEED = 20240611


def header(description):
    return {
        "description": description,
        "generator": "tools/dsp_reference.py",
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "rng": f"numpy.random.default_rng({SEED}), one generator shared by all fixtures in the order "
               "butter, notch_cascade, welch (see main())",
    }


def floats(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def test_signal(rng, fs, n, dc):
    """EEG-like test input: DC offset, 10 Hz alpha, 50 Hz mains, 120 Hz component, white noise (µV)."""
    t = np.arange(n) / fs
    x = (dc + 20.0 * np.sin(2 * np.pi * 10.0 * t) + 8.0 * np.sin(2 * np.pi * 50.0 * t + 0.3)
         + 3.0 * np.sin(2 * np.pi * 120.0 * t) + 10.0 * rng.standard_normal(n))
    return np.round(x, 6)


def write(name, payload):
    path = os.path.join(OUT_DIR, name)
    with open(path, "w") as f:
        json.dump(payload, f, separators=(",", ":"))
        f.write("\n")
    print(f"{name}: {os.path.getsize(path)} bytes")


def butter_fixture(rng):
    signals = {}
    for fs in (500.0, 1000.0):
        signals[str(int(fs))] = {
            "fs": fs,
            "recipe": "round(dc + 20 sin(2pi 10 t) + 8 sin(2pi 50 t + 0.3) + 3 sin(2pi 120 t) + 10 N(0,1), 6)",
            "dc": 30.0,
            "values": floats(test_signal(rng, fs, 400, 30.0)),
        }
    designs = {
        500.0: [("lowpass", [40.0]), ("highpass", [0.5]), ("bandpass", [1.0, 40.0]), ("bandstop", [48.0, 52.0])],
        1000.0: [("lowpass", [100.0]), ("highpass", [1.0]), ("bandpass", [8.0, 13.0]), ("bandstop", [45.0, 55.0])],
    }
    cases = []
    for fs, items in designs.items():
        x = np.array(signals[str(int(fs))]["values"])
        for btype, cutoffs in items:
            for order in (2, 4):
                wn = cutoffs[0] if len(cutoffs) == 1 else cutoffs
                sos = sig.butter(order, wn, btype=btype, fs=fs, output="sos")
                y = sig.sosfilt(sos, x)
                cases.append({
                    "call": f"butter({order}, {wn}, btype='{btype}', fs={fs}, output='sos'); sosfilt(sos, signals['{int(fs)}'])",
                    "btype": btype,
                    "order": order,
                    "cutoffsHz": cutoffs,
                    "fs": fs,
                    "signal": str(int(fs)),
                    "sections": int(sos.shape[0]),
                    "sos": floats(sos),
                    "output": floats(y),
                })
    # Coefficients only (no filtered output, to keep the file small) for odd and higher orders, which take
    # zpk2sos's real-pole and first-order-section branches that orders 2 and 4 never reach.
    coefficient_cases = []
    fs = 500.0
    for btype, cutoffs in designs[fs]:
        for order in (1, 3, 5, 8):
            wn = cutoffs[0] if len(cutoffs) == 1 else cutoffs
            sos = sig.butter(order, wn, btype=btype, fs=fs, output="sos")
            coefficient_cases.append({
                "call": f"butter({order}, {wn}, btype='{btype}', fs={fs}, output='sos')",
                "btype": btype, "order": order, "cutoffsHz": cutoffs, "fs": fs,
                "sections": int(sos.shape[0]), "sos": floats(sos),
            })
    write("butter.json", {**header("Butterworth SOS coefficients (row-major, 6 per section) and sosfilt output"),
                          "seed": SEED, "signals": signals, "cases": cases, "coefficientCases": coefficient_cases})


def notch_cascade_fixture(rng):
    fs = 500.0
    x = test_signal(rng, fs, 400, 0.0)
    b, a = sig.iirnotch(50.0, 30.0, fs=fs)
    notch = sig.tf2sos(b, a)
    notch_y = sig.sosfilt(notch, x)

    band = sig.butter(2, [1.0, 40.0], btype="bandpass", fs=fs, output="sos")
    cascade = np.vstack([band, notch])
    channels = [test_signal(rng, fs, 600, 30.0), test_signal(rng, fs, 600, -15.0)]
    outputs = [sig.sosfilt(cascade, c) for c in channels]
    chunks = [1, 7, 64, 3, 200, 125, 2, 198]
    assert sum(chunks) == 600
    write("notch_cascade.json", {
        **header("iirnotch as one SOS row, and a band-pass + notch cascade on two channels filtered in uneven chunks"),
        "seed": SEED,
        "notch": {
            "call": "tf2sos(*iirnotch(50.0, 30.0, fs=500.0)); sosfilt(sos, input)",
            "frequencyHz": 50.0, "q": 30.0, "fs": fs,
            "sos": floats(notch), "input": floats(x), "output": floats(notch_y),
        },
        "cascade": {
            "call": "sos = vstack([butter(2, [1.0, 40.0], 'bandpass', fs=500.0, output='sos'), tf2sos(*iirnotch(50.0, 30.0, fs=500.0))]); sosfilt(sos, channel)",
            "fs": fs,
            "bandOrder": 2, "bandHz": [1.0, 40.0], "notchHz": 50.0, "notchQ": 30.0,
            "sos": floats(cascade),
            "chunkFrames": chunks,
            "channels": [floats(c) for c in channels],
            "outputs": [floats(y) for y in outputs],
        },
    })


def welch_fixture(rng):
    fs = 500.0
    x = test_signal(rng, fs, 5000, 12.0)
    # A slow linear drift makes 'linear' detrending differ visibly from 'constant'.
    x = np.round(x + 0.01 * np.arange(x.size), 6)
    # (window, nperseg, noverlap, nfft or None, detrend)
    configs = [
        ("hann", 256, 128, None, "constant"),
        ("hann", 500, 250, None, "constant"),
        ("hann", 1000, 500, None, "constant"),
        ("hann", 1000, 0, None, "constant"),
        ("hamming", 500, 0, None, "linear"),
        ("hamming", 500, 250, None, False),
        ("boxcar", 256, 0, None, False),
        ("boxcar", 256, 128, None, "constant"),
        ("hann", 256, 128, 512, False),
        ("hann", 251, 125, None, "constant"),     # odd prime nperseg: Bluestein path
        ("hamming", 255, 0, 301, "linear"),       # odd nperseg, odd nfft > nperseg
        ("boxcar", 1000, 500, 1024, "linear"),
        ("blackman", 500, 250, 750, "constant"),
    ]
    cases = []
    for window, nperseg, noverlap, nfft, detrend in configs:
        f, p = sig.welch(x, fs=fs, window=window, nperseg=nperseg, noverlap=noverlap, nfft=nfft, detrend=detrend,
                         return_onesided=True, scaling="density", average="mean")
        cases.append({
            "call": f"welch(x, fs={fs}, window='{window}', nperseg={nperseg}, noverlap={noverlap}, nfft={nfft}, "
                    f"detrend={detrend!r}, return_onesided=True, scaling='density', average='mean')",
            "window": window, "nperseg": nperseg, "noverlap": noverlap,
            "nfft": nperseg if nfft is None else nfft,
            "detrend": "none" if detrend is False else detrend,
            "frequencies": floats(f), "psd": floats(p),
        })
    write("welch.json", {
        **header("scipy.signal.welch PSDs of one signal under several parameter sets"),
        "seed": SEED, "fs": fs,
        "signalRecipe": "round(round(12 + 20 sin(2pi 10 t) + 8 sin(2pi 50 t + 0.3) + 3 sin(2pi 120 t) + 10 N(0,1), 6) + 0.01 n, 6)",
        "signal": floats(x), "cases": cases,
    })


def windows_fixture():
    cases = []
    for name in ("hann", "hamming", "blackman", "boxcar"):
        for n in (1, 2, 3, 8, 17, 64):
            for periodic in (True, False):
                cases.append({"window": name, "length": n, "periodic": periodic,
                              "call": f"get_window('{name}', {n}, fftbins={periodic})",
                              "values": floats(sig.get_window(name, n, fftbins=periodic))})
    meta = header("scipy.signal.get_window values")
    del meta["rng"]  # closed-form, no random input
    write("windows.json", {**meta, "cases": cases})


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    rng = np.random.default_rng(SEED)  # one generator, consumed in a fixed order below
    butter_fixture(rng)
    notch_cascade_fixture(rng)
    welch_fixture(rng)
    windows_fixture()


if __name__ == "__main__":
    main()
