#!/usr/bin/env python3
"""Cross-check an XDF file written by AcqService.Xdf against independent readers.

Readers tried (each only if present):
  * pyxdf      - Python package (`import pyxdf`); loaded with synchronize_clocks=False, dejitter_timestamps=False.
  * libxdf     - Debian `libxdf-dev` (C++ library). A tiny dumper is compiled with g++ against /usr/include/xdf.h
                 and -lxdf into a cache directory; libxdf keeps numeric samples as float32, puts string samples in
                 its eventMap, and applies clock offsets itself, so files for it should carry no ClockOffset chunks.

Usage:
  xdf_interop.py --probe                      print which readers are available; exit 0 if any, 2 if none
  xdf_interop.py --xdf FILE --expected JSON   compare every available reader with the expected JSON

Expected JSON (written by the C# test):
  {"streams": [{"stream_id": 1, "name": "eeg", "channel_format": "float32", "channel_count": 2,
                "nominal_srate": 100.0, "timestamps": [...], "values": [[...], ...]}]}
values are samples x channels (numbers, or strings for string streams).
Exit codes: 0 all available readers agree, 1 a mismatch, 2 no reader available.
"""

import argparse
import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

DUMPER_SOURCE = r"""
#include <xdf.h>
#include <cstdio>
#include <string>

static void put_string(const std::string &s) {
    std::putchar('"');
    for (unsigned char c : s) {
        if (c == '"' || c == '\\') { std::putchar('\\'); std::putchar(c); }
        else if (c < 0x20) { std::printf("\\u%04x", c); }
        else { std::putchar(c); }
    }
    std::putchar('"');
}

int main(int argc, char **argv) {
    if (argc != 2) return 64;
    Xdf xdf;
    if (xdf.load_xdf(argv[1]) != 0) return 65;
    // libxdf prints progress text on stdout; the JSON follows a marker line.
    std::printf("\n@@JSON@@\n{\"streams\":[");
    for (size_t i = 0; i < xdf.streams.size(); ++i) {
        const auto &s = xdf.streams[i];
        if (i) std::putchar(',');
        std::printf("{\"name\":"); put_string(s.info.name);
        std::printf(",\"channel_format\":"); put_string(s.info.channel_format);
        std::printf(",\"channel_count\":%d,\"time_stamps\":[", s.info.channel_count);
        for (size_t k = 0; k < s.time_stamps.size(); ++k) std::printf(k ? ",%.17g" : "%.17g", s.time_stamps[k]);
        std::printf("],\"time_series\":[");
        for (size_t c = 0; c < s.time_series.size(); ++c) {
            if (c) std::putchar(',');
            std::putchar('[');
            for (size_t k = 0; k < s.time_series[c].size(); ++k)
                std::printf(k ? ",%.9g" : "%.9g", (double)s.time_series[c][k]);
            std::putchar(']');
        }
        std::printf("]}");
    }
    std::printf("],\"events\":[");
    for (size_t e = 0; e < xdf.eventMap.size(); ++e) {
        const auto &ev = xdf.eventMap[e];
        if (e) std::putchar(',');
        std::printf("{\"stream_index\":%d,\"timestamp\":%.17g,\"value\":", ev.second, ev.first.second);
        put_string(ev.first.first);
        std::putchar('}');
    }
    std::printf("]}\n");
    return 0;
}
"""


def find_pyxdf():
    try:
        import pyxdf  # noqa: F401
        return pyxdf
    except Exception:  # an absent or broken install both mean "not available"
        return None


def libxdf_dumper():
    """Return the path of a compiled libxdf dumper, or None with the reason printed."""
    if not os.path.exists("/usr/include/xdf.h"):
        return None, "libxdf-dev not installed (/usr/include/xdf.h missing)"
    compiler = shutil.which("g++") or shutil.which("c++")
    if compiler is None:
        return None, "no C++ compiler"
    digest = hashlib.sha256(DUMPER_SOURCE.encode()).hexdigest()[:12]
    cache = os.path.join(tempfile.gettempdir(), "acqservice-xdf-interop")
    os.makedirs(cache, exist_ok=True)
    exe = os.path.join(cache, "libxdf_dump_" + digest)
    if not os.path.exists(exe):
        src = exe + ".cpp"
        with open(src, "w") as f:
            f.write(DUMPER_SOURCE)
        result = subprocess.run([compiler, "-std=c++17", "-O1", src, "-o", exe, "-lxdf"],
                                capture_output=True, text=True)
        if result.returncode != 0:
            return None, "compiling against libxdf failed: " + result.stderr.strip()[:300]
    return exe, None


def close(a, b, rel, abs_tol=0.0):
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=abs_tol)


def compare_pyxdf(pyxdf, path, expected):
    errors = []
    streams, _ = pyxdf.load_xdf(path, synchronize_clocks=False, dejitter_timestamps=False)
    by_id = {int(s["info"]["stream_id"]): s for s in streams}
    for exp in expected["streams"]:
        sid = exp["stream_id"]
        got = by_id.get(sid)
        if got is None:
            errors.append(f"pyxdf: stream {sid} missing")
            continue
        stamps = [float(t) for t in got["time_stamps"]]
        if stamps != [float(t) for t in exp["timestamps"]]:
            errors.append(f"pyxdf: stream {sid} timestamps differ")
        rows = [list(r) for r in got["time_series"]]
        if exp["channel_format"] == "string":
            if rows != exp["values"]:
                errors.append(f"pyxdf: stream {sid} string values differ")
        else:
            flat_got = [float(v) for r in rows for v in r]
            flat_exp = [float(v) for r in exp["values"] for v in r]
            if len(flat_got) != len(flat_exp) or any(not close(a, b, 0.0) for a, b in zip(flat_got, flat_exp)):
                errors.append(f"pyxdf: stream {sid} values differ")
    return errors


def compare_libxdf(exe, path, expected):
    result = subprocess.run([exe, path], capture_output=True, text=True)
    if result.returncode != 0:
        return [f"libxdf: dumper exited with {result.returncode}: {result.stderr.strip()[:300]}"]
    data = json.loads(result.stdout.split("@@JSON@@", 1)[1])
    errors = []
    # libxdf keeps streams in file order and has no stream ids: match by name.
    names = [s["name"] for s in data["streams"]]
    for exp in expected["streams"]:
        if exp["name"] not in names:
            errors.append(f"libxdf: stream {exp['name']} missing")
            continue
        index = names.index(exp["name"])
        got = data["streams"][index]
        if exp["channel_format"] == "string":
            events = sorted((e["timestamp"], e["value"]) for e in data["events"] if e["stream_index"] == index)
            wanted = sorted((t, v[0]) for t, v in zip(exp["timestamps"], exp["values"]))
            if len(events) != len(wanted) or any(a[1] != b[1] or not close(a[0], b[0], 1e-12)
                                                 for a, b in zip(events, wanted)):
                errors.append(f"libxdf: stream {exp['name']} events differ")
            continue
        if len(got["time_stamps"]) != len(exp["timestamps"]) or any(
                not close(a, b, 1e-12) for a, b in zip(got["time_stamps"], exp["timestamps"])):
            errors.append(f"libxdf: stream {exp['name']} timestamps differ")
        # libxdf stores time_series[channel][sample] as float32.
        for ch in range(exp["channel_count"]):
            column = got["time_series"][ch] if ch < len(got["time_series"]) else []
            wanted = [row[ch] for row in exp["values"]]
            if len(column) != len(wanted) or any(not close(a, b, 1e-6, 1e-30) for a, b in zip(column, wanted)):
                errors.append(f"libxdf: stream {exp['name']} channel {ch} values differ")
    return errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probe", action="store_true")
    parser.add_argument("--xdf")
    parser.add_argument("--expected")
    args = parser.parse_args()

    pyxdf = find_pyxdf()
    exe, libxdf_reason = libxdf_dumper()
    print("pyxdf: " + ("available" if pyxdf else "not available (import pyxdf failed)"))
    print("libxdf: " + ("available (" + exe + ")" if exe else "not available: " + libxdf_reason))
    if pyxdf is None and exe is None:
        return 2
    if args.probe:
        return 0
    if not args.xdf or not args.expected:
        parser.error("--xdf and --expected are required unless --probe is given")
    with open(args.expected) as f:
        expected = json.load(f)

    errors = []
    if pyxdf is not None:
        errors += compare_pyxdf(pyxdf, args.xdf, expected)
    if exe is not None:
        errors += compare_libxdf(exe, args.xdf, expected)
    for e in errors:
        print("MISMATCH " + e)
    print("OK" if not errors else f"{len(errors)} mismatches")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
