#!/usr/bin/env python3
"""Generates the MNE-Python fNIRS reference fixtures for tests/AcqService.Dsp.Tests (NirsReferenceTests).

Run with the system interpreter that has MNE (apt: python3-mne python3-scipy python3-numpy):

    /usr/bin/python3 tools/nirs_reference.py

It builds a small deterministic continuous-wave recording (4 source-detector pairs x 760/850 nm, 10 Hz, 60 s,
fixed seed, optode positions chosen so that the source-detector distances are known), wraps it in an MNE Raw
with `fnirs_cw_amplitude` channels named 'S1_D1 760' etc., and runs

    mne.preprocessing.nirs.optical_density(raw)
    mne.preprocessing.nirs.beer_lambert_law(raw_od, ppf=6.0)        (and ppf=0.1, the pre-0.24 default)
    mne.preprocessing.nirs.temporal_derivative_distribution_repair(raw_od)

plus a second tiny recording with zero and negative intensities (MNE's abs-and-floor rule).
Inputs are rounded to 1e-9 so that the JSON stays short; the rounded doubles ARE the inputs given to MNE.
Outputs are written with repr (17 significant digits), i.e. exactly.
"""

import json
import os
import sys
import warnings

import numpy as np
import scipy

import mne
from mne.preprocessing.nirs import (beer_lambert_law, optical_density, source_detector_distances,
                                    temporal_derivative_distribution_repair)

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "AcqService.Dsp.Tests", "Fixtures")
SEED = 20261130
FS = 10.0
DURATION_S = 60.0
WAVELENGTHS = (760, 850)

# Optode positions in metres (head coordinates; only the distances matter to MNE's Beer-Lambert law).
SOURCES = {1: (0.0, 0.0, 0.08), 2: (0.03, 0.008, 0.08)}
DETECTORS = {1: (0.03, 0.0, 0.08), 2: (0.0, 0.035, 0.08)}
# S1_D1 3.0 cm, S1_D2 3.5 cm, S2_D1 0.8 cm (a short channel), S2_D2 ~4.04 cm.
PAIRS = [(1, 1), (1, 2), (2, 1), (2, 2)]

# Decadic extinction coefficients (cm^-1 M^-1) of Prahl's table at the two wavelengths, used only to SYNTHESISE the
# intensities from known haemoglobin changes; MNE reads its own copy of the table.
EPS = {760: (586.0, 1548.52), 850: (1058.0, 691.32)}


def floats(a):
    return [float(v) for v in np.asarray(a, dtype=np.float64).ravel()]


def rows(a):
    return [floats(r) for r in np.asarray(a, dtype=np.float64)]


def make_info(ch_names):
    info = mne.create_info(ch_names, FS, "fnirs_cw_amplitude")
    for ch in info["chs"]:
        sd, wl = ch["ch_name"].split(" ")
        s, d = (int(v) for v in sd[1:].split("_D"))
        src, det = np.array(SOURCES[s]), np.array(DETECTORS[d])
        ch["loc"][:3] = (src + det) / 2
        ch["loc"][3:6] = src
        ch["loc"][6:9] = det
        ch["loc"][9] = float(wl)
    return info


def synthesise(rng):
    n = int(FS * DURATION_S)
    t = np.arange(n) / FS
    data = []
    truth = []
    for k, (s, d) in enumerate(PAIRS):
        dist_cm = 100 * np.linalg.norm(np.array(SOURCES[s]) - np.array(DETECTORS[d]))
        # Haemodynamic-like response: slow gamma-shaped bumps every 15 s, HbR opposite and smaller; short channel
        # (pair 3) sees mostly the systemic part (cardiac 1.1 Hz, Mayer wave 0.1 Hz).
        resp = np.zeros(n)
        for onset in (5.0, 20.0, 35.0, 50.0):
            tau = np.clip(t - onset, 0, None)
            resp += (tau / 5.0) ** 3 * np.exp(-(tau - 5.0) / 1.5) * (tau > 0)
        resp = resp / resp.max()
        neural = 0.0 if dist_cm < 1.5 else 1.0
        systemic = 0.3e-6 * np.sin(2 * np.pi * 1.1 * t + k) + 0.4e-6 * np.sin(2 * np.pi * 0.1 * t + 0.5 * k)
        hbo = neural * 1.5e-6 * resp + systemic + 0.05e-6 * rng.standard_normal(n)
        hbr = -neural * 0.5e-6 * resp - 0.3 * systemic + 0.05e-6 * rng.standard_normal(n)
        truth.append((hbo, hbr))
        for wl in WAVELENGTHS:
            eo, er = EPS[wl]
            od10 = (eo * hbo + er * hbr) * dist_cm * 6.0
            i0 = 1.0 + 0.25 * k + (0.1 if wl == 850 else 0.0)
            x = i0 * 10.0 ** (-od10) * (1 + 0.002 * rng.standard_normal(n))
            if k == 1:
                # Motion artefacts for TDDR: a spike at 12 s and a baseline shift from 40 s on (both wavelengths).
                x[120:123] *= 1.08
                x[400:] *= 0.93
            data.append(np.round(x, 9))
    return np.array(data)


def main():
    rng = np.random.default_rng(SEED)
    ch_names = [f"S{s}_D{d} {wl}" for s, d in PAIRS for wl in WAVELENGTHS]
    data = synthesise(rng)
    raw = mne.io.RawArray(data, make_info(ch_names), verbose="error")
    dist = source_detector_distances(raw.info)

    od = optical_density(raw, verbose="error")
    hb6 = beer_lambert_law(od, ppf=6.0)
    hb01 = beer_lambert_law(od, ppf=0.1)
    tddr = temporal_derivative_distribution_repair(od, verbose="error")

    # Non-positive intensities: channel 0 has a zero and a negative value, channel 1 has a zero and a small positive
    # value below channel 2's minimum (MNE skips a channel whose |x| minimum is 0 when it picks the floor, so that
    # value is raised to the floor too), channel 2 is positive.
    bad = np.array([
        [1.0, 0.0, -0.5, 1.2, 0.9, 1.1, 1.05, 0.95],
        [0.0, 0.2, 0.8, 1.0, 1.1, 0.9, 1.0, 1.0],
        [0.7, 0.6, 0.5, 0.55, 0.65, 0.7, 0.6, 0.58],
        [2.0, 2.1, 1.9, 2.05, 1.95, 2.0, 2.02, 1.98],
    ])
    bad_names = ["S1_D1 760", "S1_D1 850", "S1_D2 760", "S1_D2 850"]
    bad_raw = mne.io.RawArray(bad, make_info(bad_names), verbose="error")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bad_od = optical_density(bad_raw)
    warned = any("Negative intensities" in str(w.message) for w in caught)
    assert warned, "expected MNE's negative-intensity warning"

    payload = {
        "description": "MNE-Python fNIRS reference: optical_density, beer_lambert_law (ppf 6.0 and 0.1), TDDR",
        "generator": "tools/nirs_reference.py",
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "mne": mne.__version__,
        "seed": SEED,
        "rng": f"numpy.random.default_rng({SEED})",
        "sfreq": FS,
        "channels": [
            {"name": name, "source": int(name[1]), "detector": int(name.split("_D")[1].split(" ")[0]),
             "wavelengthNm": int(name.split(" ")[1]), "distanceM": float(dist[i])}
            for i, name in enumerate(ch_names)
        ],
        "intensity": rows(data),
        "opticalDensity": rows(od.get_data()),
        "hbPpf6": {"ppf": 6.0, "names": hb6.ch_names, "values": rows(hb6.get_data())},
        "hbPpf01": {"ppf": 0.1, "names": hb01.ch_names, "values": rows(hb01.get_data())},
        "tddrOpticalDensity": rows(tddr.get_data()),
        "nonPositive": {"names": bad_names, "intensity": rows(bad), "opticalDensity": rows(bad_od.get_data()),
                        "warned": warned},
    }
    path = os.path.join(OUT_DIR, "nirs_mne.json")
    with open(path, "w") as f:
        json.dump(payload, f, separators=(",", ":"))
        f.write("\n")
    print(f"nirs_mne.json: {os.path.getsize(path)} bytes; distances (m) {floats(dist)}")


if __name__ == "__main__":
    main()
