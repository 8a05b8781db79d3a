#!/usr/bin/python3
"""Independent reference for `acq analyze`: the same analysis written the way a lab would, with NumPy/SciPy (and MNE).

Reads an AcqService XDF recording, then
  * ERP: causal band-pass 0.1-30 Hz Butterworth (order 2, SOS) + 50 Hz notch (Q 30), one scipy.signal.sosfilt call over
    the whole recording (per channel, zero initial state, after subtracting each channel's first value); epochs
    -0.2..0.8 s around the first sample at or after each needle marker; peak-to-peak rejection (> 150 uV, or < 0.5 uV =
    flat) over the whole epoch; baseline -0.2..0 s; per-condition mean and standard error. Epoching is vectorised NumPy
    fancy indexing (default) or mne.Epochs on an mne.io.RawArray (--epocher mne; same definitions).
  * Alpha: every 0.5 s of signal (once 2 s are available), Welch PSD of the last 2 s (Hann, 1 s segments, 50 % overlap,
    constant detrend, density scaling) per channel on the unfiltered signal; band power = sum of the PSD bins in
    [8, 13] Hz x bin width, relative to [1, 40] Hz; region means; pre/post-event summary per condition (pre -3..0 s,
    post 3..10 s, as update times). The Welch averages are computed as scipy.signal.spectrogram segment periodograms
    (each segment transformed once) averaged three at a time, which equals scipy.signal.welch on each 2 s window.
  * Condition rules, clock at start and channel units come from the recording (FileHeader <acqservice>); regions from
    the device profile (default: device-profiles/simulated-needling.json, as `acq analyze` without --profile).
  * Timestamps: each stream's raw stamps plus its latest ClockOffset before the chunk in file order (what the
    AcqService aligner does online; pyxdf's regression would differ by microseconds), made monotonic.

pyxdf is not used (not packaged here; MNE 1.3 has no XDF reader). The compact
reader below parses numeric Samples chunks as one structured NumPy view when every sample carries its timestamp.

Usage:
  analyze_reference.py FILE.xdf --out DIR [--profile JSON] [--epocher numpy|mne] [--welch-per-window]
                       [--compare ACQ_DIR] [--timings JSON]
  analyze_reference.py --compare-only REF_DIR ACQ_DIR
Writes DIR/reference.npz (ERP means/SEMs/counts, alpha series and regions), DIR/drop_log.csv and DIR/alpha_summary.csv.
--compare prints the largest absolute and relative differences against an AcqService session folder; exit 1 if they
exceed the tolerance (1e-6 relative to each quantity's largest magnitude).
"""

import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import mmap  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import xml.etree.ElementTree as ET  # noqa: E402

import numpy as np  # noqa: E402
import scipy.signal as sig  # noqa: E402

T_IMPORTED = time.perf_counter()

# Defaults of AcqService (EpochOptions, FilterOptions, AlphaOptions, AlignerOptions).
TMIN, TMAX = -0.2, 0.8
BASELINE = (None, 0.0)
REJECT_UV, FLAT_UV = 150.0, 0.5
HIGHPASS, LOWPASS, ORDER, NOTCH, NOTCH_Q = 0.1, 30.0, 2, 50.0, 30.0
ALPHA_WINDOW, ALPHA_SEGMENT, ALPHA_OVERLAP, ALPHA_UPDATE = 2.0, 1.0, 0.5, 0.5
ALPHA_BAND, BROAD_BAND = (8.0, 13.0), (1.0, 40.0)
PRE, POST = (-3.0, 0.0), (3.0, 10.0)
MAX_PLACEMENT_LAG_PERIODS = 2.5
GAP_PERIODS = 3.5  # consecutive raw stamps further apart than this = a gap (the aligner's rule on jitter-free data)

FORMATS = {"int8": "i1", "int16": "<i2", "int32": "<i4", "int64": "<i8", "float32": "<f4", "double64": "<f8",
           "double": "<f8", "float": "<f4"}
TO_MICROVOLTS = {"V": 1e6, "volt": 1e6, "volts": 1e6, "Volts": 1e6, "mV": 1e3, "millivolt": 1e3, "millivolts": 1e3,
                 "nV": 1e-3, "nanovolt": 1e-3, "nanovolts": 1e-3}
EVENTS_STREAM_TYPE = "AcqService-Events"


# ----------------------------------------------------------------------------------------------------------- XDF

def _varlen(buf, pos):
    width = buf[pos]
    return int.from_bytes(buf[pos + 1:pos + 1 + width], "little"), pos + 1 + width


class Stream:
    def __init__(self, sid, xml):
        self.id = sid
        info = ET.fromstring(xml)
        self.name = info.findtext("name", "")
        self.type = info.findtext("type", "")
        self.channel_count = int(info.findtext("channel_count", "1"))
        self.srate = float(info.findtext("nominal_srate", "0"))
        self.format = info.findtext("channel_format", "float32")
        self.key = (info.findtext("desc/acqservice/key") or "").strip() or self.name
        chans = info.findall("desc/channels/channel")
        self.labels = [c.findtext("label", "") for c in chans] or [f"ch{i + 1}" for i in range(self.channel_count)]
        self.units = [c.findtext("unit", "") for c in chans] or [""] * self.channel_count
        self.stamps, self.values, self.offsets, self.counts = [], [], [], []
        self.offset = 0.0
        self.last = 0.0
        if self.format != "string":
            dt = np.dtype(FORMATS[self.format])
            self.record = np.dtype([("n", "u1"), ("t", "<f8"), ("v", dt, (self.channel_count,))])
            self.value_dtype = dt


def read_xdf(path):
    """Returns (file header XML, {stream id: Stream}); numeric values are views into the memory-mapped file (no copy)."""
    with open(path, "rb") as f:
        buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    if buf[:4] != b"XDF:":
        raise ValueError(f"{path}: not an XDF file")
    streams, header, pos, end = {}, None, 4, len(buf)
    mv = memoryview(buf)
    while pos < end:
        length, pos = _varlen(buf, pos)
        if pos + length > end:
            break  # truncated last chunk
        tag = int.from_bytes(buf[pos:pos + 2], "little")
        body, nxt = pos + 2, pos + length
        if tag == 3:
            s = streams.get(int.from_bytes(buf[body:body + 4], "little"))
            if s is not None:
                _samples(s, buf, mv, body + 4, nxt)
        elif tag == 4:
            s = streams.get(int.from_bytes(buf[body:body + 4], "little"))
            if s is not None:
                s.offset = float(np.frombuffer(buf, "<f8", 1, body + 12)[0])
        elif tag == 2:
            sid = int.from_bytes(buf[body:body + 4], "little")
            streams[sid] = Stream(sid, bytes(buf[body + 4:nxt]).decode("utf-8"))
        elif tag == 1:
            header = bytes(buf[body:nxt]).decode("utf-8")
        pos = nxt
    return header, streams


def _samples(s, buf, mv, pos, end):
    n, pos = _varlen(buf, pos)
    if s.format != "string":
        rec = s.record
        if end - pos == n * rec.itemsize:
            # Fast path: every sample carries its 8-byte stamp, so the chunk is an array of fixed records.
            view = np.frombuffer(mv[pos:end], rec)
            if (view["n"] == 8).all():
                s.stamps.append(view["t"])
                s.values.append(view["v"])
                s.offsets.append(s.offset)
                s.counts.append(n)
                s.last = float(view["t"][-1])
                return
        stamps = np.empty(n)
        values = np.empty((n, s.channel_count), s.value_dtype)
        width = s.value_dtype.itemsize * s.channel_count
        step = 1.0 / s.srate if s.srate > 0 else 0.0
        for i in range(n):
            if buf[pos] == 8:
                s.last = float(np.frombuffer(buf, "<f8", 1, pos + 1)[0])
                pos += 9
            else:
                s.last += step
                pos += 1
            stamps[i] = s.last
            values[i] = np.frombuffer(buf, s.value_dtype, s.channel_count, pos)
            pos += width
        s.stamps.append(stamps)
        s.values.append(values)
    else:
        stamps, values = np.empty(n), []
        for i in range(n):
            if buf[pos] == 8:
                s.last = float(np.frombuffer(buf, "<f8", 1, pos + 1)[0])
                pos += 9
            else:
                s.last += 1.0 / s.srate if s.srate > 0 else 0.0
                pos += 1
            stamps[i] = s.last
            row = []
            for _ in range(s.channel_count):
                k, pos = _varlen(buf, pos)
                row.append(bytes(buf[pos:pos + k]).decode("utf-8", "replace"))
                pos += k
            values.append(row[0])
        s.stamps.append(stamps)
        s.values.append(values)
    s.offsets.append(s.offset)
    s.counts.append(n)


def load(path, profile):
    t0 = time.perf_counter()
    header, streams = read_xdf(path)
    eeg = [s for s in streams.values() if s.type.lower() == "eeg" and s.format != "string"]
    markers = [s for s in streams.values() if s.type.lower() == "markers" and s.type != EVENTS_STREAM_TYPE]
    if len(eeg) != 1 or len(markers) != 1:
        raise SystemExit(f"expected one EEG and one Markers stream, found {len(eeg)} and {len(markers)}")
    e, m = eeg[0], markers[0]
    counts = np.array(e.counts)
    # Channel-major float64 (µV), the layout sosfilt and the epoch indexing want, filled chunk by chunk from the
    # file's pages (no intermediate sample-major copy).
    raw = np.empty((e.channel_count, int(counts.sum())))
    at = 0
    for v in e.values:
        raw[:, at:at + len(v)] = v.T
        at += len(v)
    raw *= np.array([TO_MICROVOLTS.get(u.strip(), 1.0) for u in e.units])[:, None]
    stamps = np.concatenate(e.stamps)
    offsets = np.repeat(np.array(e.offsets), counts)
    m_stamps = np.concatenate(m.stamps) + np.repeat(np.array(m.offsets), m.counts) if m.counts else np.empty(0)
    m_labels = [label for chunk in m.values for label in chunk]
    meta = ET.fromstring(header).find("acqservice") if header else None
    rules = [(r.findtext("condition", ""), re.compile(r.findtext("pattern", "")))
             for r in (meta.findall("conditions/rule") if meta is not None else [])]
    clock_at_start = float(meta.findtext("clock_at_start", "nan")) if meta is not None else float("nan")
    with open(profile) as f:
        regions = {k: [c for c in v if c in e.labels] for k, v in json.load(f).get("regions", {}).items()}
    regions = {k: v for k, v in regions.items() if v}
    del streams
    return dict(key=e.key, labels=e.labels, fs=e.srate, raw=raw, stamps=stamps, offsets=offsets, m_stamps=m_stamps,
                m_labels=m_labels, rules=rules, clock_at_start=clock_at_start, regions=regions,
                seconds=time.perf_counter() - t0)


# ----------------------------------------------------------------------------------------------------------- events

def place_markers(d):
    """Sample index of the first sample at or after each marker (corrected clocks), or a drop reason."""
    fs = d["fs"]
    period = 1.0 / fs
    times = np.maximum.accumulate(d["stamps"] + d["offsets"])
    raw_steps = np.diff(d["stamps"])
    gap_starts = np.flatnonzero(raw_steps > GAP_PERIODS * period) + 1
    events = []
    for t, label in zip(d["m_stamps"], d["m_labels"]):
        condition = next((name for name, rx in d["rules"] if rx.search(label)), None)
        ev = dict(time=float(t), label=label, condition=condition, index=-1, reason=None)
        if times.size == 0:
            ev["reason"] = "no data"
        elif t > times[-1]:
            ev["reason"] = "stream ended"
        else:
            i = int(np.searchsorted(times, t, "left"))
            lag = times[i] - t
            if i == 0 and lag > MAX_PLACEMENT_LAG_PERIODS * period:
                ev["reason"] = "before first sample"
            elif lag > MAX_PLACEMENT_LAG_PERIODS * period and i in set(gap_starts.tolist()):
                ev["reason"] = "in data gap"
            else:
                ev["index"] = i
        events.append(ev)
    return events, gap_starts


# ----------------------------------------------------------------------------------------------------------- ERP

def sos_design(fs):
    band = sig.butter(ORDER, [HIGHPASS, LOWPASS], btype="bandpass", fs=fs, output="sos")
    notch = sig.tf2sos(*sig.iirnotch(NOTCH, NOTCH_Q, fs=fs))
    return np.vstack([band, notch])


def erp(d, events, gap_starts, epocher):
    """Filters d["raw"] IN PLACE (run alpha() first), then epochs and averages."""
    fs, raw = d["fs"], d["raw"]
    t0 = time.perf_counter()
    sos = sos_design(fs)
    # One channel at a time, overwriting the unfiltered data: the temporaries stay small and are reused, instead of two
    # more copies of the whole recording. Subtracting the first value (a constant the high-pass removes) starts the
    # causal filter near steady state.
    for c in range(raw.shape[0]):
        raw[c] = sig.sosfilt(sos, raw[c] - raw[c, 0])
    filtered = raw
    t1 = time.perf_counter()
    start_off, end_off = round(TMIN * fs), round(TMAX * fs)
    length = end_off - start_off + 1
    n = raw.shape[1]
    for ev in events:
        if ev["reason"] is None and ev["condition"] is None:
            ev["reason"] = "no condition rule"
        elif ev["reason"] is None:
            s = ev["index"] + start_off
            if s < 0:
                ev["reason"] = "epoch before start"
            elif s + length - 1 >= n:
                ev["reason"] = "ended before complete"
            elif np.any((gap_starts > s) & (gap_starts <= s + length - 1)):
                ev["reason"] = "gap in epoch"
    cand = [ev for ev in events if ev["reason"] is None]
    starts = np.array([ev["index"] + start_off for ev in cand], dtype=np.int64)
    if epocher == "mne":
        data = _epochs_mne(d, filtered, starts, -start_off, cand)
    else:
        data = filtered[:, starts[:, None] + np.arange(length)].transpose(1, 0, 2)  # (epochs, channels, times)
        ptp = np.ptp(data, axis=2)
        bad = ~(ptp <= REJECT_UV) | (ptp < FLAT_UV)
        for k, ev in enumerate(cand):
            if bad[k].any():
                c = int(np.argmax(bad[k]))
                ev["reason"] = f"peak-to-peak {d['labels'][c]}" if not ptp[k, c] <= REJECT_UV else f"flat {d['labels'][c]}"
        keep = ~bad.any(axis=1)
        data = data[keep]
        b0, b1 = 0, round(BASELINE[1] * fs) - start_off
        data -= data[:, :, b0:b1 + 1].mean(axis=2, keepdims=True)
    accepted = [ev for ev in cand if ev["reason"] is None]
    conditions = list(dict.fromkeys(ev["condition"] for ev in accepted))
    cond_of = np.array([ev["condition"] for ev in accepted], dtype=object)
    averages = {}
    for c in conditions:
        x = data[cond_of == c]
        averages[c] = (x.shape[0], x.mean(axis=0), x.std(axis=0, ddof=1) / np.sqrt(x.shape[0]) if x.shape[0] > 1
                       else np.full(x.shape[1:], np.nan))
    t2 = time.perf_counter()
    times = np.arange(start_off, end_off + 1) / fs
    return averages, times, dict(filter=t1 - t0, epoch=t2 - t1)


def _epochs_mne(d, filtered, starts, pre, cand):
    import mne
    mne.set_log_level("ERROR")
    info = mne.create_info(d["labels"], d["fs"], ch_types="eeg")
    raw = mne.io.RawArray(filtered * 1e-6, info, copy=None)  # MNE works in volts
    mne_events = np.column_stack([starts + pre, np.zeros_like(starts), np.ones_like(starts)])
    epochs = mne.Epochs(raw, mne_events, tmin=TMIN, tmax=TMAX, baseline=BASELINE, reject=dict(eeg=REJECT_UV * 1e-6),
                        flat=dict(eeg=FLAT_UV * 1e-6), preload=True, event_repeated="merge")
    for ev, log in zip(cand, epochs.drop_log):
        if log:
            ev["reason"] = "rejected " + "/".join(log)
    return epochs.get_data() * 1e6


# ----------------------------------------------------------------------------------------------------------- alpha

def alpha(d, events, per_window=False):
    fs, raw = d["fs"], d["raw"]
    t0 = time.perf_counter()
    seg = round(ALPHA_SEGMENT * fs)
    step = seg - round(ALPHA_OVERLAP * seg)
    window = round(ALPHA_WINDOW * fs)
    update = max(1, round(ALPHA_UPDATE * fs))
    per_window = (window - seg) // step + 1
    n = raw.shape[1]
    ends = np.arange(window, n + 1)
    ends = ends[ends % update == 0]  # an update whenever the sample count reaches a multiple of the interval
    if ends.size and (update % step or window % step):
        raise SystemExit("vectorised Welch needs window and update interval to be multiples of the segment step")
    df = fs / seg
    freqs = np.arange(seg // 2 + 1) * df
    used = int(np.searchsorted(freqs, max(ALPHA_BAND[1], BROAD_BAND[1]), "right")) + 1
    band = (freqs[:used] >= ALPHA_BAND[0]) & (freqs[:used] <= ALPHA_BAND[1])
    broad = (freqs[:used] >= BROAD_BAND[0]) & (freqs[:used] <= BROAD_BAND[1])
    n_seg = (n - seg) // step + 1 if n >= seg else 0
    if per_window:
        # The literal form: one scipy.signal.welch call per update on the 2 s window (each segment is transformed up
        # to three times). Same numbers; kept to show what the vectorised form below saves.
        welch = np.empty((raw.shape[0], used, ends.size))
        for u, end in enumerate(ends):
            _, p = sig.welch(raw[:, end - window:end], fs=fs, window="hann", nperseg=seg, noverlap=seg - step,
                             detrend="constant", scaling="density", average="mean", axis=-1)
            welch[:, :, u] = p[:, :used]
        return _alpha_from_welch(d, events, welch, ends, band, broad, df, t0)
    psd = np.empty((raw.shape[0], used, n_seg))
    # Segment periodograms of one channel at a time (the temporaries of a whole-array call would be several GB).
    for c in range(raw.shape[0]):
        _, _, s = sig.spectrogram(raw[c, :(n_seg - 1) * step + seg], fs=fs, window="hann", nperseg=seg,
                                  noverlap=seg - step, detrend="constant", scaling="density", mode="psd")
        psd[c] = s[:used]
    # Welch of the window ending at `end` = mean of its `per_window` segment periodograms.
    first = (ends - window) // step
    welch = sum(psd[:, :, first + j] for j in range(per_window)) / per_window  # (channels, bins, updates)
    return _alpha_from_welch(d, events, welch, ends, band, broad, df, t0)


def _alpha_from_welch(d, events, welch, ends, band, broad, df, t0):
    absolute = welch[:, band, :].sum(axis=1) * df
    total = welch[:, broad, :].sum(axis=1) * df
    relative = np.where(total > 0, absolute / np.where(total > 0, total, 1), np.nan)
    idx = {label: i for i, label in enumerate(d["labels"])}
    members = [[idx[c] for c in chans] for chans in d["regions"].values()]
    roi_abs = np.array([absolute[m].mean(axis=0) for m in members])
    roi_rel = np.array([relative[m].mean(axis=0) for m in members])
    sample_index = ends - 1
    time_s = d["stamps"][sample_index] + d["offsets"][sample_index]
    summary = _pre_post(d, events, sample_index, roi_abs)
    return dict(time_s=time_s, sample_index=sample_index, absolute=absolute.T, relative=relative.T,
                roi_abs=roi_abs.T, roi_rel=roi_rel.T, summary=summary), time.perf_counter() - t0


def _pre_post(d, events, sample_index, roi_abs):
    fs = d["fs"]
    last = sample_index[-1] if sample_index.size else -1
    per_condition = {}
    for ev in events:
        if ev["index"] < 0 or ev["condition"] is None or ev["reason"] in ("no data", "stream ended", "before first sample", "in data gap"):
            continue
        per_condition.setdefault(ev["condition"], [])
        if last < ev["index"] + round(POST[1] * fs):
            continue
        t = (sample_index - ev["index"]) / fs
        pre = (t >= PRE[0]) & (t <= PRE[1])
        post = (t >= POST[0]) & (t <= POST[1]) & ~pre
        if pre.any() and post.any():
            p, q = roi_abs[:, pre].mean(axis=1), roi_abs[:, post].mean(axis=1)
            per_condition[ev["condition"]].append((p, q, (q / p - 1) * 100))
    rows = []
    for condition, items in per_condition.items():
        if not items:
            continue
        pre, post, change = (np.array([it[i] for it in items]) for i in range(3))
        for r, region in enumerate(d["regions"]):
            n = len(items)
            rows.append((d["key"], condition, region, n, pre[:, r].mean(), post[:, r].mean(), change[:, r].mean(),
                         change[:, r].std(ddof=1) / np.sqrt(n) if n > 1 else np.nan))
    return rows


# ----------------------------------------------------------------------------------------------------------- output

def write(out, d, events, averages, times, al):
    t0 = time.perf_counter()
    os.makedirs(out, exist_ok=True)
    conditions = list(averages)
    np.savez(os.path.join(out, "reference.npz"), stream=d["key"], channels=np.array(d["labels"]),
             conditions=np.array(conditions), counts=np.array([averages[c][0] for c in conditions]),
             times=times, mean=np.array([averages[c][1] for c in conditions]),
             sem=np.array([averages[c][2] for c in conditions]), alpha_time_s=al["time_s"],
             alpha_sample_index=al["sample_index"], alpha_abs=al["absolute"], alpha_rel=al["relative"],
             regions=np.array(list(d["regions"])), roi_abs=al["roi_abs"], roi_rel=al["roi_rel"])
    with open(os.path.join(out, "drop_log.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["marker_time_s", "label", "condition", "outcome", "reason", "sample_index"])
        for ev in events:
            w.writerow([f"{ev['time']:.6f}", ev["label"], ev["condition"] or "",
                        "epoch" if ev["reason"] is None else "dropped", ev["reason"] or "", ev["index"]])
    with open(os.path.join(out, "alpha_summary.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["stream", "condition", "region", "events", "pre_mean_uV2", "post_mean_uV2", "change_percent",
                    "change_percent_sem"])
        w.writerows([r[:4] + tuple(repr(float(v)) for v in r[4:]) for r in al["summary"]])
    return time.perf_counter() - t0


# ----------------------------------------------------------------------------------------------------------- compare

def compare(ref_dir, acq_dir, tolerance=1e-6):
    """Prints max |difference| and max relative difference (to the quantity's largest magnitude); returns True when within tolerance."""
    ref = np.load(os.path.join(ref_dir, "reference.npz"))
    ok = True
    results = []

    def report(name, a, b):
        nonlocal ok
        a, b = np.asarray(a, float), np.asarray(b, float)
        if a.shape != b.shape:
            print(f"  {name}: shapes differ {a.shape} vs {b.shape}")
            ok = False
            return
        both = np.isfinite(a) & np.isfinite(b)
        nan_mismatch = int((np.isnan(a) != np.isnan(b)).sum())
        diff = np.abs(a - b)[both]
        scale = max(np.abs(b[both]).max() if both.any() else 0.0, 1e-300)
        worst = float(diff.max()) if diff.size else 0.0
        rel = worst / scale
        pointwise = float((diff / np.maximum(np.abs(b[both]), 1e-12 * scale)).max()) if diff.size else 0.0
        good = rel <= tolerance and nan_mismatch == 0
        ok &= good
        results.append((name, a.size, worst, rel, pointwise, nan_mismatch, good))

    # ERP averages (erp_averages.csv: stream,condition,count,channel,time_s,mean_uV,sem_uV)
    acq = {}
    with open(os.path.join(acq_dir, "erp_averages.csv"), newline="") as f:
        r = csv.reader(f)
        next(r)
        for row in r:
            acq.setdefault(row[1], {"count": int(row[2]), "mean": [], "sem": []})
            acq[row[1]]["mean"].append(float(row[5]) if row[5] else np.nan)
            acq[row[1]]["sem"].append(float(row[6]) if row[6] else np.nan)
    conditions = [str(c) for c in ref["conditions"]]
    if sorted(conditions) != sorted(acq):
        print(f"  conditions differ: reference {conditions}, acq {list(acq)}")
        ok = False
    common = [c for c in conditions if c in acq]
    counts_ref = {c: int(n) for c, n in zip(conditions, ref["counts"])}
    counts_match = all(counts_ref[c] == acq[c]["count"] for c in common)
    ok &= counts_match
    print("  accepted epochs per condition (reference / acq): " + ", ".join(f"{c} {counts_ref[c]}/{acq[c]['count']}" for c in common)
          + ("" if counts_match else "  MISMATCH"))
    shape = ref["mean"].shape[1:]
    report("ERP mean (µV)", [ref["mean"][conditions.index(c)] for c in common], [np.reshape(acq[c]["mean"], shape) for c in common])
    report("ERP sem (µV)", [ref["sem"][conditions.index(c)] for c in common], [np.reshape(acq[c]["sem"], shape) for c in common])

    # Alpha series (alpha_power_<stream>.csv)
    path = os.path.join(acq_dir, f"alpha_power_{ref['stream']}.csv")
    table = np.genfromtxt(path, delimiter=",", skip_header=1)
    table = table.reshape(-1, table.shape[-1]) if table.size else np.empty((0, 3))
    nch, nreg = ref["alpha_abs"].shape[1], ref["roi_abs"].shape[1]
    if table.shape[0] != ref["alpha_abs"].shape[0]:
        print(f"  alpha updates differ: reference {ref['alpha_abs'].shape[0]}, acq {table.shape[0]}")
        ok = False
    else:
        same_index = np.array_equal(table[:, 2].astype(np.int64), ref["alpha_sample_index"])
        ok &= same_index
        print(f"  alpha updates: {table.shape[0]} in both; sample indices {'identical' if same_index else 'DIFFER'}")
        report("alpha time_s (s)", np.round(ref["alpha_time_s"], 6), table[:, 0])
        report("alpha absolute (µV²)", ref["alpha_abs"], table[:, 3:3 + nch])
        report("alpha relative", ref["alpha_rel"], table[:, 3 + nch:3 + 2 * nch])
        report("alpha region absolute (µV²)", ref["roi_abs"], table[:, 3 + 2 * nch:3 + 2 * nch + nreg])
        report("alpha region relative", ref["roi_rel"], table[:, 3 + 2 * nch + nreg:3 + 2 * nch + 2 * nreg])

    # Alpha pre/post summary
    def summary(path):
        with open(path, newline="") as f:
            rows = list(csv.reader(f))[1:]
        return {(r[1], r[2]): (int(r[3]), [float(v) if v else np.nan for v in r[4:8]]) for r in rows}
    s_ref, s_acq = summary(os.path.join(ref_dir, "alpha_summary.csv")), summary(os.path.join(acq_dir, "alpha_summary.csv"))
    keys = sorted(set(s_ref) & set(s_acq))
    same_events = set(s_ref) == set(s_acq) and all(s_ref[k][0] == s_acq[k][0] for k in keys)
    ok &= same_events
    print(f"  alpha summary rows: {len(s_ref)} / {len(s_acq)}; events per row {'identical' if same_events else 'DIFFER'}")
    if keys:
        report("alpha summary (pre, post, change %, sem)", [s_ref[k][1] for k in keys], [s_acq[k][1] for k in keys])

    # Drop log: same markers, same outcome and sample index
    def drops(path):
        with open(path, newline="") as f:
            return [(r["outcome"], int(r["sample_index"]), r["condition"], r["reason"]) for r in csv.DictReader(f)]
    d_ref, d_acq = drops(os.path.join(ref_dir, "drop_log.csv")), drops(os.path.join(acq_dir, "drop_log.csv"))
    mismatched = sum(1 for a, b in zip(d_ref, d_acq) if a[:3] != b[:3]) + abs(len(d_ref) - len(d_acq))
    ok &= mismatched == 0
    print(f"  drop log: {len(d_ref)} / {len(d_acq)} markers, {sum(r[0] == 'epoch' for r in d_acq)} epochs in acq, "
          f"{mismatched} rows differing in outcome, sample index or condition")

    print("  | quantity | values | max abs diff | max diff / max value | max pointwise rel diff | NaN mismatches |")
    print("  |---|---:|---:|---:|---:|---:|")
    for name, size, worst, rel, pointwise, nan_mismatch, good in results:
        print(f"  | {name} | {size:,} | {worst:.3g} | {rel:.3g}{'' if good else ' (over tolerance)'} | {pointwise:.3g} | {nan_mismatch} |")
    print(f"  outputs {'AGREE' if ok else 'DIFFER'} (tolerance {tolerance:g} relative to each quantity's largest magnitude)")
    return ok


# ----------------------------------------------------------------------------------------------------------- main

def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("xdf", nargs="?")
    p.add_argument("--out")
    p.add_argument("--profile", default=os.path.join(here, "..", "device-profiles", "simulated-needling.json"))
    p.add_argument("--epocher", choices=["numpy", "mne"], default="numpy")
    p.add_argument("--welch-per-window", action="store_true",
                   help="alpha with one scipy.signal.welch call per update instead of shared segment periodograms")
    p.add_argument("--compare", metavar="ACQ_DIR")
    p.add_argument("--compare-only", nargs=2, metavar=("REF_DIR", "ACQ_DIR"))
    p.add_argument("--timings", metavar="JSON", help="write the step timings (seconds) here")
    a = p.parse_args()
    if a.compare_only:
        return 0 if compare(*a.compare_only) else 1
    if not a.xdf or not a.out:
        p.error("FILE.xdf and --out DIR are required")
    d = load(a.xdf, a.profile)
    events, gaps = place_markers(d)
    al, alpha_t = alpha(d, events, a.welch_per_window)  # first: erp() filters the data in place
    averages, times, erp_t = erp(d, events, gaps, a.epocher)
    write_t = write(a.out, d, events, averages, times, al)
    total = time.perf_counter() - T_START
    timings = dict(imports=T_IMPORTED - T_START, read=d["seconds"], filter=erp_t["filter"], epoch=erp_t["epoch"],
                   alpha=alpha_t, write=write_t, total=total)
    n = d["raw"].shape[1]
    print(f"analyze_reference: {n / d['fs']:.0f} s x {d['raw'].shape[0]} ch, {len(events)} markers, "
          f"{sum(ev['reason'] is None for ev in events)} epochs, {al['time_s'].size} alpha updates; "
          + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()))
    if a.timings:
        with open(a.timings, "w") as f:
            json.dump(timings, f)
    if a.compare:
        return 0 if compare(a.out, a.compare) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
