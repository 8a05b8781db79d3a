#!/usr/bin/env python3
"""Checks a SNIRF file written by `acq export-snirf` against what the recording holds, using MNE-Python.

Usage: snirf_check.py FILE.snirf EXPECTED.json

EXPECTED.json (written by the test from the XDF recording):
  {"channels": ["S1_D1 760", ...], "wavelengths": [760, 850], "sfreq": 10.0, "frames": N,
   "values_file": "expected.f64",            # frames x channels, little-endian float64, row-major
   "stims": {"insert/real": [onset, ...], ...}, "distance_m": 0.03 (optional), "subject": "P001" (optional)}

Prints one JSON object with what MNE read and the differences; exit 0 when everything matches
(values: max relative difference <= 1e-6), 1 when something differs, 2 when MNE/h5py are missing.
"""
import json
import sys

try:
    import h5py
    import mne
    import numpy as np
except ImportError as exc:  # the C# test skips on exit 2
    print(json.dumps({"error": f"missing Python package: {exc}"}))
    sys.exit(2)


def main(snirf_path, expected_path):
    with open(expected_path, encoding="utf-8") as f:
        expected = json.load(f)
    folder = expected_path.rsplit("/", 1)[0] if "/" in expected_path else "."
    values = np.fromfile(f"{folder}/{expected['values_file']}", dtype="<f8").reshape(expected["frames"], len(expected["channels"]))

    raw = mne.io.read_raw_snirf(snirf_path, preload=True, verbose="error")
    data = raw.get_data()  # channels x frames
    wavelengths = sorted({int(round(ch["loc"][9])) for ch in raw.info["chs"]})
    denom = np.maximum(np.abs(values.T), np.finfo(float).tiny)
    rel = float(np.max(np.abs(data - values.T) / denom)) if data.shape == values.T.shape else float("inf")
    distances = mne.preprocessing.nirs.source_detector_distances(raw.info)
    stims = {}
    for onset, desc in zip(raw.annotations.onset, raw.annotations.description):
        stims.setdefault(str(desc), []).append(float(onset))
    onset_error = 0.0
    stims_match = sorted(stims) == sorted(expected["stims"])
    if stims_match:
        for name, onsets in expected["stims"].items():
            got = sorted(stims[name])
            if len(got) != len(onsets):
                stims_match = False
                break
            onset_error = max([onset_error] + [abs(a - b) for a, b in zip(got, sorted(onsets))])
    # The processing chain MNE users run next must accept the file: optical density, then haemoglobin.
    od = mne.preprocessing.nirs.optical_density(raw.copy(), verbose="error")
    hb = mne.preprocessing.nirs.beer_lambert_law(od)
    with h5py.File(snirf_path, "r") as f:
        format_version = f["formatVersion"][()].decode()
        string_kind = "variable-length" if h5py.check_string_dtype(f["nirs/metaDataTags/SubjectID"].dtype).length is None else "fixed-length"

    report = {
        "mne_version": mne.__version__,
        "format_version": format_version,
        "string_kind": string_kind,
        "n_channels": len(raw.ch_names),
        "channel_types": sorted(set(raw.get_channel_types())),
        "channels_match": raw.ch_names == expected["channels"],
        "first_channels": raw.ch_names[:4],
        "wavelengths": wavelengths,
        "sfreq": float(raw.info["sfreq"]),
        "n_times": int(raw.n_times),
        "max_relative_difference": rel,
        "distance_min_m": float(np.min(distances)),
        "distance_max_m": float(np.max(distances)),
        "stim_counts": {k: len(v) for k, v in sorted(stims.items())},
        "stims_match": stims_match,
        "max_onset_error_s": onset_error,
        "meas_date": str(raw.info["meas_date"]),
        "subject": raw.info["subject_info"].get("first_name"),
        "hb_types": sorted(set(hb.get_channel_types())),
    }
    ok = (report["channels_match"] and wavelengths == expected["wavelengths"]
          and abs(report["sfreq"] - expected["sfreq"]) <= 1e-6 * expected["sfreq"]
          and report["n_times"] == expected["frames"] and rel <= 1e-6
          # MNE keeps annotation onsets to the microsecond (meas_date resolution), so they round by up to 0.5 us.
          and stims_match and onset_error <= 1e-6
          and report["channel_types"] == ["fnirs_cw_amplitude"])
    if "distance_m" in expected:
        ok = ok and abs(report["distance_min_m"] - expected["distance_m"]) <= 1e-6 and abs(report["distance_max_m"] - expected["distance_m"]) <= 1e-6
    if "subject" in expected:
        ok = ok and report["subject"] == expected["subject"]
    report["ok"] = bool(ok)
    print(json.dumps(report))
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
